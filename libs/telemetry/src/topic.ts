import { isValidImei } from '@app/registry';
import { Rejection } from './model';

export const DEVICE_CHANNELS = ['fixes', 'status', 'teltonika', 'errors', 'receipts'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Channels a device publishes to; `errors` and `receipts` are written by the platform only. */
export const INBOUND_CHANNELS: readonly DeviceChannel[] = ['fixes', 'status', 'teltonika'];

export interface DeviceTopic {
  readonly imei: string;
  readonly channel: DeviceChannel;
}

export type TopicParseResult = { ok: true; topic: DeviceTopic } | { ok: false; rejection: Rejection };

/** Parses `devices/{imei}/{channel}`. The IMEI must be 15 digits with a valid Luhn check digit. */
export function parseDeviceTopic(topic: string): TopicParseResult {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'devices') {
    return refuse('unknown_topic', `topic "${truncate(topic)}" is not devices/{imei}/{channel}`);
  }
  const imei = parts[1]!;
  const channel = parts[2]!;
  if (!isValidImei(imei)) {
    return refuse(
      'topic_imei_invalid',
      `"${truncate(imei)}" is not a valid IMEI (15 digits, Luhn check digit)`,
    );
  }
  if (!isDeviceChannel(channel)) {
    return refuse(
      'unknown_topic',
      `channel "${truncate(channel)}" is not one of ${DEVICE_CHANNELS.join(', ')}`,
    );
  }
  return { ok: true, topic: { imei, channel } };
}

export function deviceTopic(imei: string, channel: DeviceChannel): string {
  return `devices/${imei}/${channel}`;
}

export function errorsTopic(imei: string): string {
  return deviceTopic(imei, 'errors');
}

/** Where the platform tells a device which of its fixes are stored (`receiptPayload`). */
export function receiptsTopic(imei: string): string {
  return deviceTopic(imei, 'receipts');
}

function isDeviceChannel(value: string): value is DeviceChannel {
  return (DEVICE_CHANNELS as readonly string[]).includes(value);
}

function refuse(reason: Rejection['reason'], message: string): TopicParseResult {
  return { ok: false, rejection: { reason, scope: 'message', message } };
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
