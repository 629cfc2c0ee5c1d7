/** Builders for the stages' tests. */
import type { DeviceMessage } from '@app/broker';
import type { AppConfig } from '@app/config';
import type { IngestTarget } from '@app/db';
import type { DeclaredUse } from '@app/registry';
import { ActiveIndexLookup, streamParams } from '@app/rules';
import { parseDeviceTopic } from '@app/telemetry';
import { IntegrityWriter } from '../integrity.writer';
import type { LiveState } from '../live-state';
import type { RulesEvaluator } from '../rules.evaluator';
import type { IncomingMessage } from './batch-message';

/** Valid IMEIs (Luhn). */
export const IMEI = '356307042441013';
export const OTHER_IMEI = '490154203237518';

export function incoming(
  topic: string,
  body: unknown,
  receivedAt = new Date('2026-11-22T05:00:00Z'),
  extra: Partial<DeviceMessage> = {},
): IncomingMessage {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return { message: { topic, payload, receivedAt, ...extra }, topic: parseDeviceTopic(topic) };
}

export function jsonFix(time: string, lat: number, lon: number, extra: Record<string, unknown> = {}) {
  return { time, lat, lon, ...extra };
}

export function emptyState(imei = IMEI): LiveState {
  return { imei, machineId: null, lastFix: undefined, rules: undefined, integrity: undefined, cursor: 0 };
}

/** The integrity writer with no zone index (its alerts then name no catalogue version). */
export function integrityWriter(): IntegrityWriter {
  const rules = { lookup: new ActiveIndexLookup({ index: null }), params: streamParams() };
  return new IntegrityWriter(rules as unknown as RulesEvaluator, { integritySweepSeconds: 60 } as AppConfig);
}

export function target(
  machineId: string,
  category = 'excavator',
  declaredUse: DeclaredUse | null = null,
): IngestTarget {
  return {
    machine: { id: machineId, category, declaredUse },
    intervalMovingSeconds: 30,
    intervalIgnitionOffSeconds: 300,
  };
}
