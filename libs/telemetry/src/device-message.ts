import { decodeJsonFixDrafts } from './json/fix-decoder';
import { decodeStatus } from './json/status-decoder';
import { DeviceStatus, Fix, Rejection } from './model';
import { DecodeContext, resolveLimits } from './options';
import { FixDraft, assessPlausibility } from './plausibility';
import { rejection } from './rejection';
import { decodeTeltonikaDrafts } from './teltonika/teltonika-decoder';
import { DeviceChannel, DeviceTopic, parseDeviceTopic } from './topic';

export interface DeviceMessageResult {
  /** Present once the topic names a valid device; absent when the topic itself was refused. */
  imei?: string;
  channel?: DeviceChannel;
  fixes: Fix[];
  /** Set for a valid message on the `status` channel. */
  status?: DeviceStatus;
  rejections: Rejection[];
}

/** A device message's payload read for its channel, its fixes not yet checked for plausibility. */
export interface DevicePayloadResult {
  imei: string;
  channel: DeviceChannel;
  /** Completed into fixes by `assessPlausibility`. */
  drafts: FixDraft[];
  /** Set for a valid message on the `status` channel. */
  status?: DeviceStatus;
  rejections: Rejection[];
}

/**
 * Entry point for one MQTT message from a device: checks the topic (and, when given, that it names the
 * authenticated device), then decodes the payload for its channel and checks the fixes' plausibility. Pure and
 * total: never throws, never reads the clock.
 */
export function decodeDeviceMessage(
  topic: string,
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): DeviceMessageResult {
  const parsed = parseDeviceTopic(topic);
  if (!parsed.ok) return { fixes: [], rejections: [parsed.rejection] };
  const { imei, channel, drafts, status, rejections } = decodeDevicePayload(
    parsed.topic,
    payload,
    receivedAt,
    context,
  );
  const fixes = assessPlausibility(drafts, receivedAt, resolveLimits(context), context.previousFix);
  return { imei, channel, fixes, rejections, ...(status && { status }) };
}

/**
 * Decodes the payload of a message on an already parsed topic (checking, when given, that it names the
 * authenticated device), without the plausibility check: the caller completes the drafts with
 * `assessPlausibility` against the device's previous fix. Pure and total.
 */
export function decodeDevicePayload(
  topic: DeviceTopic,
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): DevicePayloadResult {
  const { imei, channel } = topic;
  const refuse = (reason: Rejection['reason'], message: string): DevicePayloadResult => ({
    imei,
    channel,
    drafts: [],
    rejections: [rejection(reason, 'message', message)],
  });

  if (context.authenticatedImei !== undefined && context.authenticatedImei !== imei) {
    return refuse('topic_imei_mismatch', `a device may publish only under its own IMEI, not ${imei}`);
  }
  switch (channel) {
    case 'fixes': {
      const { drafts, rejections } = decodeJsonFixDrafts(payload, receivedAt, resolveLimits(context), imei);
      return { imei, channel, drafts, rejections };
    }
    case 'teltonika': {
      const { drafts, rejections } = decodeTeltonikaDrafts(payload, receivedAt, resolveLimits(context), imei);
      return { imei, channel, drafts, rejections };
    }
    case 'status': {
      const { status, rejections } = decodeStatus(payload, receivedAt, context);
      return { imei, channel, drafts: [], rejections, ...(status && { status }) };
    }
    case 'errors':
    case 'receipts':
      return refuse(
        'read_only_topic',
        `devices/{imei}/${channel} is written by the registry; devices may only subscribe to it`,
      );
  }
}
