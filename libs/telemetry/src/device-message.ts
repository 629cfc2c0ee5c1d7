import { decodeJsonFixes } from './json/fix-decoder';
import { decodeStatus } from './json/status-decoder';
import { DecodedFix, DeviceStatus, Rejection } from './model';
import { DecodeContext } from './options';
import { rejection } from './rejection';
import { decodeTeltonika } from './teltonika/teltonika-decoder';
import { DeviceChannel, parseDeviceTopic } from './topic';

export interface DeviceMessageResult {
  /** Present once the topic names a valid device; absent when the topic itself was refused. */
  imei?: string;
  channel?: DeviceChannel;
  fixes: DecodedFix[];
  /** Set for a valid message on the `status` channel. */
  status?: DeviceStatus;
  rejections: Rejection[];
}

/**
 * Entry point for one MQTT message from a device: checks the topic (and, when given, that it names the
 * authenticated device), then decodes the payload for its channel. Pure and total: never throws, never reads
 * the clock.
 */
export function decodeDeviceMessage(
  topic: string,
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): DeviceMessageResult {
  const parsed = parseDeviceTopic(topic);
  if (!parsed.ok) return { fixes: [], rejections: [parsed.rejection] };
  const { imei, channel } = parsed.topic;
  const refuse = (reason: Rejection['reason'], message: string): DeviceMessageResult => ({
    imei,
    channel,
    fixes: [],
    rejections: [rejection(reason, 'message', message)],
  });

  if (context.authenticatedImei !== undefined && context.authenticatedImei !== imei) {
    return refuse('topic_imei_mismatch', `a device may publish only under its own IMEI, not ${imei}`);
  }
  switch (channel) {
    case 'fixes': {
      const { fixes, rejections } = decodeJsonFixes(payload, receivedAt, context);
      return { imei, channel, fixes, rejections };
    }
    case 'teltonika': {
      const { fixes, rejections } = decodeTeltonika(payload, receivedAt, context);
      return { imei, channel, fixes, rejections };
    }
    case 'status': {
      const { status, rejections } = decodeStatus(payload, receivedAt, context);
      return { imei, channel, fixes: [], rejections, ...(status && { status }) };
    }
    case 'errors':
      return refuse(
        'read_only_topic',
        'devices/{imei}/errors is written by the registry; devices may only subscribe to it',
      );
  }
}
