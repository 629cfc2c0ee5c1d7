import {
  DecodeResult,
  FIX_EVENTS,
  FixEvent,
  GnssJammingState,
  Rejection,
  TeltonikaIoElement,
} from '../model';
import { DecodeContext, DecodeLimits, resolveLimits } from '../options';
import { assessPlausibility, FixDraft } from '../plausibility';
import { rejection } from '../rejection';
import { AvlIoElement, AvlPacket, AvlRecord, CODEC_8_EXTENDED } from './avl-packet';
import { readAvlPacket } from './avl-reader';
import { keepStorable, unstorableReason } from '../storable';

/** Teltonika AVL ids mapped into the fix model. */
export const TELTONIKA_IO = {
  ignition: 239,
  externalVoltage: 66,
  batteryVoltage: 67,
  pdop: 181,
  hdop: 182,
  gsmJamming: 249,
  gnssJamming: 318,
  unplug: 252,
  towing: 246,
} as const;

const PANIC_PRIORITY = 2;
const GNSS_JAMMING_STATES: readonly GnssJammingState[] = ['none', 'warning', 'critical'];

/**
 * Decodes the payload of `devices/{imei}/teltonika`: one Codec 8 or Codec 8 Extended AVL data packet with TCP
 * framing (preamble, data field length, CRC). Every record becomes a fix unless its timestamp is outside 1970 to
 * 2100 (`FIX_TIME_MIN_MS`, `FIX_TIME_MAX_MS`); a value the database cannot store is dropped (`keepStorable`).
 * Never throws.
 */
export function decodeTeltonika(
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): DecodeResult {
  const limits = resolveLimits(context);
  const { drafts, rejections } = decodeTeltonikaDrafts(payload, receivedAt, limits, context.deviceId ?? '');
  return { fixes: assessPlausibility(drafts, receivedAt, limits, context.previousFix), rejections };
}

/** `decodeTeltonika` without the plausibility check (`assessPlausibility` completes the drafts). */
export function decodeTeltonikaDrafts(
  payload: Uint8Array,
  receivedAt: Date,
  limits: Readonly<DecodeLimits>,
  deviceId: string,
): { drafts: FixDraft[]; rejections: Rejection[] } {
  if (payload.byteLength === 0)
    return { drafts: [], rejections: [rejection('empty_payload', 'message', 'the payload is empty')] };
  if (payload.byteLength > limits.maxPayloadBytes) {
    const message = `the payload has ${payload.byteLength} bytes; the limit is ${limits.maxPayloadBytes}`;
    return { drafts: [], rejections: [rejection('payload_too_large', 'message', message)] };
  }
  const read = readAvlPacket(payload);
  if (!read.ok) return { drafts: [], rejections: [read.rejection] };

  const rejections: Rejection[] = [];
  const drafts: FixDraft[] = [];
  const received = receivedAt.getTime();
  read.packet.records.forEach((record, index) => {
    const unstorableTime = unstorableReason('timestamptz', record.timestampMs);
    if (unstorableTime !== undefined) {
      rejections.push(
        rejection('invalid_time', 'fix', `timestamp ${record.timestampMs} ms: ${unstorableTime}`, {
          index,
          field: 'timestamp',
        }),
      );
      return;
    }
    const draft = recordToDraft(record, read.packet.codec, index, deviceId, received);
    if (keepStorable(draft, index, rejections)) drafts.push(draft);
  });
  return { drafts, rejections };
}

function recordToDraft(
  record: AvlRecord,
  codec: AvlPacket['codec'],
  index: number,
  deviceId: string,
  receivedAt: number,
): FixDraft {
  const values = new Map<number, number>();
  for (const element of record.io) {
    if (element.width !== 0) values.set(element.id, unsignedNumber(element.bytes));
  }
  const events = new Set<FixEvent>();
  const draft: FixDraft = {
    deviceId,
    source: 'teltonika',
    time: record.timestampMs,
    receivedAt,
    lat: record.latitudeE7 / 1e7,
    lon: record.longitudeE7 / 1e7,
    speedKmh: record.speed,
    headingDeg: record.angle,
    altitudeM: record.altitude,
    satellites: record.satellites,
    events: [],
    index,
    teltonika: {
      codec: codec === CODEC_8_EXTENDED ? '8E' : '8',
      priority: record.priority,
      eventIoId: record.eventIoId,
      io: record.io.map(toEvidence),
    },
  };

  const ignition = values.get(TELTONIKA_IO.ignition);
  if (ignition !== undefined) {
    draft.ignition = ignition !== 0;
    if (record.eventIoId === TELTONIKA_IO.ignition)
      events.add(ignition !== 0 ? 'ignition_on' : 'ignition_off');
  }
  const externalMillivolts = values.get(TELTONIKA_IO.externalVoltage);
  if (externalMillivolts !== undefined) draft.externalVoltageV = externalMillivolts / 1000;
  const batteryMillivolts = values.get(TELTONIKA_IO.batteryVoltage);
  if (batteryMillivolts !== undefined) draft.batteryV = batteryMillivolts / 1000;
  const pdopTenths = values.get(TELTONIKA_IO.pdop);
  if (pdopTenths !== undefined) draft.pdop = pdopTenths / 10;
  const hdopTenths = values.get(TELTONIKA_IO.hdop);
  if (hdopTenths !== undefined) draft.hdop = hdopTenths / 10;

  const gsmJamming = values.get(TELTONIKA_IO.gsmJamming);
  if (gsmJamming !== undefined) {
    draft.gsmJamming = gsmJamming !== 0;
    if (draft.gsmJamming) events.add('gsm_jamming');
  }
  const gnssJamming = values.get(TELTONIKA_IO.gnssJamming);
  const gnssJammingState = gnssJamming === undefined ? undefined : GNSS_JAMMING_STATES[gnssJamming];
  if (gnssJammingState !== undefined) {
    draft.gnssJamming = gnssJammingState;
    if (gnssJammingState !== 'none') events.add('gnss_jamming');
  }
  const unplug = values.get(TELTONIKA_IO.unplug);
  if (unplug !== undefined) {
    draft.unplugged = unplug !== 0;
    if (draft.unplugged) events.add('unplug');
  }
  const towing = values.get(TELTONIKA_IO.towing);
  if (towing !== undefined) {
    draft.towing = towing !== 0;
    if (draft.towing) events.add('towing');
  }
  if (record.priority === PANIC_PRIORITY) events.add('sos');

  draft.events = FIX_EVENTS.filter((event) => events.has(event));
  return draft;
}

function toEvidence(element: AvlIoElement): TeltonikaIoElement {
  const hex = Buffer.from(element.bytes).toString('hex');
  if (element.width === 0) return { id: element.id, width: 0, hex };
  const value = BigInt(`0x${hex}`);
  return {
    id: element.id,
    width: element.width,
    hex,
    value: value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString(),
  };
}

/** Unsigned big-endian value; above 2^53 it loses precision, which none of the mapped ids can reach. */
function unsignedNumber(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}
