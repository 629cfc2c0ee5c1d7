import { createHash } from 'node:crypto';

/** Event types delivered to agencies. */
export const ALERT_EVENT_TYPES = [
  'violation.opened',
  'violation.updated',
  'violation.closed',
  'violation.retracted',
  'violation.escalated',
  'integrity.opened',
  'integrity.updated',
  'integrity.closed',
  'integrity.retracted',
  'integrity.escalated',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export function isAlertEventType(type: string): type is AlertEventType {
  return (ALERT_EVENT_TYPES as readonly string[]).includes(type);
}

/** A CloudEvents 1.0 event in the structured JSON format. */
export interface CloudEvent<T = unknown> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  /** Extension attribute: the agency the event was routed to. */
  readonly agency: string;
  readonly data: T;
}

export const EVENT_SOURCE = 'urn:centinela:alerts';

/**
 * The id of one event as one agency receives it: the same for every retry and every channel of that agency,
 * so receivers can deduplicate; different per agency. UUID-shaped (version 5 layout) from SHA-256.
 */
export function stableEventId(outboxEventId: string, agencyId: string): string {
  const hex = createHash('sha256').update(`centinela-alert:${outboxEventId}:${agencyId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16).padStart(2, '0');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `5${hex.slice(13, 16)}`,
    variant + hex.slice(18, 20),
    hex.slice(20, 32),
  ].join('-');
}

export function cloudEvent<T>(input: {
  id: string;
  type: string;
  subject: string;
  time: Date;
  agency: string;
  data: T;
}): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: input.id,
    source: EVENT_SOURCE,
    type: input.type,
    subject: input.subject,
    time: input.time.toISOString(),
    datacontenttype: 'application/json',
    agency: input.agency,
    data: input.data,
  };
}
