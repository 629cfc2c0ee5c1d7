/** Sample packets and builders for tests of the telemetry library and of its consumers (ingest, simulator). */
import { AvlRecord } from '../teltonika/avl-packet';
import { crc16Ibm } from '../teltonika/crc16';

export const IMEI = '356307042441013';
export const OTHER_IMEI = '490154203237518';

/** Public Teltonika sample packets (valid CRC). */
export const TELTONIKA_SAMPLES = {
  codec8Vienna:
    '000000000000004c08010000016818d500580009c28d9f1cb3757a00be00c60f0053000f06f0011503c80001011d00fc0007423799180053cdf80dce426f430f88190bb8560bb802f100005aa110002887e000010000ee8d',
  codec8Gulf:
    '000000000000003508010000014f8e016420002141bbaf0f4e96a7fffa0000120000000602010047030242669c92000002c7000000009100000000000100002df3',
  codec8ExtendedVilnius:
    '000000000000004b8e010000018368952793000f0e54fc209ab05800b300b40e00002a4f0001000000000000000000012a4f001e011c0001a40110eb47706aa38255aa96f21a154e2d00550d01000e020bd6010000823f',
} as const;

export function hexPacket(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/** Rewrites the CRC of a framed AVL packet so that a deliberately malformed layout gets past the CRC check. */
export function withRecomputedCrc(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  const dataEnd = copy.length - 4;
  copy.writeUInt32BE(crc16Ibm(copy, 8, dataEnd), dataEnd);
  return copy;
}

export function avlRecord(overrides: Partial<AvlRecord> = {}): AvlRecord {
  return {
    timestampMs: Date.parse('2026-11-22T04:00:00Z'),
    priority: 0,
    longitudeE7: -770428000,
    latitudeE7: -120464000,
    altitude: 154,
    angle: 90,
    satellites: 11,
    speed: 12,
    eventIoId: 0,
    io: [],
    ...overrides,
  };
}

export function ioElement(
  id: number,
  width: 1 | 2 | 4 | 8,
  value: number,
): { id: number; width: 1 | 2 | 4 | 8; bytes: Uint8Array } {
  const bytes = new Uint8Array(width);
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return { id, width, bytes };
}

export function jsonPayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
