/** The fix model shared by every decoder, and the shape of what a decoder returns. */

export const FIX_EVENTS = [
  'power_cut',
  'power_restored',
  'low_battery',
  'gnss_jamming',
  'gsm_jamming',
  'gnss_lost',
  'tamper',
  'sos',
  'unplug',
  'towing',
  'ignition_on',
  'ignition_off',
] as const;
export type FixEvent = (typeof FIX_EVENTS)[number];

/**
 * Plausibility flags. A flagged fix is stored and shown to the integrity detectors, but it is not trusted
 * for verdicts (`trusted` is false as soon as one flag is set). `clock`: the device time cannot be placed (ahead
 * of or behind its receipt beyond the tolerances, which `future_time` and `stale_time` tell apart, or before the
 * tracker was bound to its machine); the integrity detectors pass such a fix by.
 */
export const FIX_FLAGS = [
  'null_island',
  'out_of_range',
  'no_gnss_fix',
  'low_quality',
  'future_time',
  'stale_time',
  'impossible_speed',
  'clock',
] as const;
export type FixFlag = (typeof FIX_FLAGS)[number];

/** Whether the fix's device time cannot be trusted (flagged `clock`): it says nothing about when it was taken. */
export function hasUntrustedClock(fix: { readonly flags: readonly FixFlag[] }): boolean {
  return fix.flags.includes('clock');
}

export type FixSource = 'json' | 'teltonika';

export type GnssJammingState = 'none' | 'warning' | 'critical';

/** One raw Teltonika I/O element, kept on the fix as evidence. */
export interface TeltonikaIoElement {
  id: number;
  /** 1, 2, 4 or 8 for the fixed-size groups; 0 for a variable-length (Codec 8 Extended NX) element. */
  width: 0 | 1 | 2 | 4 | 8;
  /** The value bytes exactly as received, lower-case hex. */
  hex: string;
  /** Unsigned value of a fixed-size element; a decimal string above 2^53 − 1; absent for NX elements. */
  value?: number | string;
}

export interface TeltonikaRecordInfo {
  codec: '8' | '8E';
  /** 0 low, 1 high, 2 panic. */
  priority: number;
  /** I/O element id that triggered the record; 0 for a periodic record. */
  eventIoId: number;
  io: TeltonikaIoElement[];
}

/**
 * One position report of a tracker, the same object from the decoder through storage to the rules and the
 * integrity detectors (which read the fields they need: `Pick`s of this type). Times are epoch milliseconds.
 */
export interface Fix {
  /** The tracker that reported it (its IMEI, from the topic). */
  deviceId: string;
  source: FixSource;
  /** When the tracker took the fix (its own clock). */
  time: number;
  /** When the platform received the message carrying the fix; `receivedAt - time` is the delivery delay. */
  receivedAt: number;
  /** WGS84 decimal degrees. */
  lat: number;
  lon: number;
  speedKmh?: number;
  headingDeg?: number;
  altitudeM?: number;
  hdop?: number;
  pdop?: number;
  satellites?: number;
  ignition?: boolean;
  externalVoltageV?: number;
  batteryV?: number;
  /** Conditions the device reported with this fix; never repeated, in `FIX_EVENTS` order. */
  events: FixEvent[];
  gsmJamming?: boolean;
  gnssJamming?: GnssJammingState;
  /** The tracker says the machine is being towed or carried. */
  towing?: boolean;
  unplugged?: boolean;
  /** Per-device counter; it may restart from 0 after a reboot, so it is evidence, not a key. */
  sequence?: number;
  /** Plausibility flags, in `FIX_FLAGS` order. */
  flags: FixFlag[];
  /** False when any flag is set: keep the fix, show it to integrity detectors, do not base a verdict on it. */
  trusted: boolean;
  /** Position of the fix in its message (batch index or AVL record index). */
  index: number;
  teltonika?: TeltonikaRecordInfo;
  /** Identifier of the stored position (`positionId`), quoted in the evidence of verdicts and alerts; set once stored. */
  id?: string;
  /** The H3 cell stored with the fix, handed to the zone lookup; set once stored. */
  cell?: string;
}

/** The identifier of a tracker's stored fix: its IMEI and fix time (one fix per tracker and time is stored). */
export function positionId(deviceId: string, time: number): string {
  return `${deviceId}@${new Date(time).toISOString()}`;
}

export const REJECTION_REASONS = [
  'unknown_topic',
  'topic_imei_invalid',
  'topic_imei_mismatch',
  'read_only_topic',
  'empty_payload',
  'payload_too_large',
  'invalid_encoding',
  'invalid_json',
  'not_an_object',
  'invalid_batch',
  'empty_batch',
  'batch_too_large',
  'missing_field',
  'invalid_type',
  'invalid_time',
  'invalid_value',
  'out_of_range',
  'unknown_event',
  'truncated',
  'bad_preamble',
  'length_mismatch',
  'bad_crc',
  'unknown_codec',
  'record_count_mismatch',
  'io_count_mismatch',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * What a rejection refused: the whole `message`, one `fix` of a batch (the others are kept), or one `field`
 * of a fix that is otherwise kept without that field.
 */
export type RejectionScope = 'message' | 'fix' | 'field';

export interface Rejection {
  reason: RejectionReason;
  scope: RejectionScope;
  message: string;
  /** Index of the fix in a batch or of the record in an AVL packet. */
  index?: number;
  /** Name of the offending field, e.g. `lat` or `events[2]`. */
  field?: string;
}

export interface DecodeResult {
  fixes: Fix[];
  rejections: Rejection[];
}

export type DeviceState = 'online' | 'offline';

export interface DeviceStatus {
  state: DeviceState;
  receivedAt: Date;
  /** Device clock when the status was produced, if the device sent one. */
  deviceTime?: Date;
  firmware?: string;
  /** Free text from the device, e.g. why it goes offline. At most 200 characters. */
  reason?: string;
}

/** The last stored fix of the device, used to judge the implied speed of the first new fix. */
export type PreviousFix = Pick<Fix, 'time' | 'lat' | 'lon'>;
