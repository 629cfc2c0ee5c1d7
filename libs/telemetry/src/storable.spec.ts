import fc from 'fast-check';
import { decodeJsonFixes } from './json/fix-decoder';
import { decodeStatus } from './json/status-decoder';
import { Rejection } from './model';
import { edgyJsonFix } from './testing/storable-arbitraries';
import {
  FIX_TIME_MAX_MS,
  FIX_TIME_MIN_MS,
  FLOAT4_MAX,
  FLOAT4_MIN_NORMAL,
  keepStorable,
  unstorableField,
  unstorableReason,
} from './storable';
import { decodeTeltonika } from './teltonika/teltonika-decoder';
import { writeAvlPacket } from './teltonika/avl-writer';
import { CODEC_8_EXTENDED } from './teltonika/avl-packet';
import { avlRecord, jsonPayload } from './testing/fixtures';

const receivedAt = new Date('2026-11-22T05:00:00Z');
const good = (i: number) => ({
  time: new Date(Date.parse('2026-11-22T04:00:00Z') + i * 60_000).toISOString(),
  lat: -12.6,
  lon: -69.2,
  speed: 3,
  battery: 4.1,
});

describe('values the database stores', () => {
  it('knows the range of a PostgreSQL real, subnormals and underflow included', () => {
    expect(unstorableReason('real', 0)).toBeUndefined();
    expect(unstorableReason('real', -0)).toBeUndefined();
    expect(unstorableReason('real', FLOAT4_MIN_NORMAL)).toBeUndefined();
    expect(unstorableReason('real', -FLOAT4_MIN_NORMAL)).toBeUndefined();
    expect(unstorableReason('real', FLOAT4_MAX)).toBeUndefined();
    expect(unstorableReason('real', 1000)).toBeUndefined();
    // Rounds to 0 in a real: PostgreSQL refuses it (22003). A subnormal real is refused too.
    expect(unstorableReason('real', 1e-50)).toMatch(/neither 0 nor/);
    expect(unstorableReason('real', 5e-324)).toMatch(/neither 0 nor/);
    expect(unstorableReason('real', 1e-40)).toMatch(/neither 0 nor/);
    expect(unstorableReason('real', FLOAT4_MIN_NORMAL / 2)).toBeDefined();
    expect(unstorableReason('real', 3.5e38)).toMatch(/largest/);
    expect(unstorableReason('real', Number.NaN)).toMatch(/finite/);
    expect(unstorableReason('real', Infinity)).toMatch(/finite/);
    expect(FLOAT4_MIN_NORMAL).toBe(2 ** -126);
    expect(Math.fround(FLOAT4_MAX)).toBe(FLOAT4_MAX);
  });

  it('stores any finite double, subnormals included, and integers within their column', () => {
    expect(unstorableReason('double precision', 5e-324)).toBeUndefined();
    expect(unstorableReason('double precision', -1.7976931348623157e308)).toBeUndefined();
    expect(unstorableReason('double precision', -Infinity)).toMatch(/finite/);
    expect(unstorableReason('smallint', 32_767)).toBeUndefined();
    expect(unstorableReason('smallint', 32_768)).toMatch(/outside/);
    expect(unstorableReason('smallint', 1.5)).toMatch(/integer/);
    expect(unstorableReason('integer', -2_147_483_649)).toMatch(/outside/);
    expect(unstorableReason('bigint', 2 ** 53)).toMatch(/outside/);
    expect(unstorableReason('bigint', 4_294_967_295)).toBeUndefined();
  });

  it('stores device times from 1970 to 2100 only', () => {
    expect(unstorableReason('timestamptz', FIX_TIME_MIN_MS)).toBeUndefined();
    expect(unstorableReason('timestamptz', FIX_TIME_MAX_MS)).toBeUndefined();
    expect(new Date(FIX_TIME_MAX_MS).toISOString()).toBe('2100-12-31T23:59:59.999Z');
    expect(unstorableReason('timestamptz', -1)).toMatch(/outside/);
    expect(unstorableReason('timestamptz', FIX_TIME_MAX_MS + 1)).toMatch(/outside/);
    expect(unstorableReason('timestamptz', 2 ** 60)).toMatch(/outside/);
  });

  it('names the first field of a fix the database would refuse', () => {
    expect(unstorableField({ time: 0, lat: 1, lon: 2, speedKmh: 3 })).toBeUndefined();
    expect(unstorableField({ time: 0, lat: 1, lon: 2, batteryV: 5e-324 })).toMatchObject({
      field: 'batteryV',
    });
    expect(unstorableField({ time: -62_167_219_200_000, lat: 1, lon: 2 })).toMatchObject({ field: 'time' });
  });

  it('drops an optional field it cannot store and refuses a fix whose required field it cannot store', () => {
    const rejections: Rejection[] = [];
    const draft = { time: Date.parse('2026-11-22T04:00:00Z'), lat: 1, lon: 2, index: 3, speedKmh: 1e-50 };
    expect(keepStorable(draft, 3, rejections)).toBe(true);
    expect(draft).not.toHaveProperty('speedKmh');
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'out_of_range', scope: 'field', index: 3, field: 'speed' }),
    ]);
    expect(keepStorable({ time: 0, lat: Number.NaN, lon: 2, index: 0 }, 0, rejections)).toBe(false);
    expect(rejections[1]).toMatchObject({ reason: 'out_of_range', scope: 'fix', field: 'lat' });
  });
});

describe('the JSON decoder refuses per fix what the database would refuse', () => {
  it.each([
    ['speed 1e-50', { speed: 1e-50 }, 'out_of_range', 'field', 'speed'],
    ['battery 5e-324', { battery: 5e-324 }, 'out_of_range', 'field', 'battery'],
    ['a subnormal hdop', { hdop: 1e-40 }, 'out_of_range', 'field', 'hdop'],
    ['year 0000', { time: '0000-01-01T00:00:00Z' }, 'invalid_time', 'fix', 'time'],
    ['year 1969', { time: '1969-12-31T23:59:59Z' }, 'invalid_time', 'fix', 'time'],
    ['year 2101', { time: '2101-01-01T00:00:00Z' }, 'invalid_time', 'fix', 'time'],
    ['year 9999 in epoch milliseconds', { time: 253_402_300_799_999 }, 'invalid_time', 'fix', 'time'],
  ])('keeps the 10 valid fixes beside one with %s', (_name, bad, reason, scope, field) => {
    const fixes = Array.from({ length: 10 }, (_, i) => good(i));
    fixes.splice(5, 0, { ...good(20), ...bad } as ReturnType<typeof good>);
    const decoded = decodeJsonFixes(jsonPayload({ fixes }), receivedAt);

    expect(decoded.rejections).toEqual([expect.objectContaining({ reason, scope, index: 5, field })]);
    expect(decoded.rejections[0]!.message).toMatch(/1970-01-01T00:00:00\.000Z to 2100|stored/);
    expect(decoded.fixes).toHaveLength(scope === 'fix' ? 10 : 11);
    const kept = decoded.fixes.find((f) => f.index === 5);
    if (scope === 'field') expect(kept).toBeDefined();
    for (const fix of decoded.fixes) expect(unstorableField(fix)).toBeUndefined();
  });

  it('accepts the edges of the ranges', () => {
    const decoded = decodeJsonFixes(
      jsonPayload({
        fixes: [
          { ...good(0), time: '1970-01-01T00:00:00Z', speed: 0, battery: FLOAT4_MIN_NORMAL },
          { ...good(1), time: '2100-12-31T23:59:59.999Z', lat: 5e-324 },
          { ...good(2), time: 0 },
        ],
      }),
      receivedAt,
    );
    expect(decoded.rejections).toEqual([]);
    expect(decoded.fixes).toHaveLength(3);
  });

  it('drops a status device time outside 1970 to 2100', () => {
    const decoded = decodeStatus(jsonPayload({ state: 'online', time: '0000-01-01T00:00:00Z' }), receivedAt);
    expect(decoded.status?.deviceTime).toBeUndefined();
    expect(decoded.rejections).toEqual([expect.objectContaining({ reason: 'invalid_time', field: 'time' })]);
  });

  it('never accepts a fix the database would refuse (property)', () => {
    fc.assert(
      fc.property(fc.array(edgyJsonFix, { minLength: 1, maxLength: 20 }), (fixes) => {
        const decoded = decodeJsonFixes(jsonPayload({ fixes }), receivedAt);
        for (const fix of decoded.fixes) expect(unstorableField(fix)).toBeUndefined();
        // Every entry is either kept or refused with a reason of its own.
        const refused = new Set(decoded.rejections.filter((r) => r.scope === 'fix').map((r) => r.index));
        expect(decoded.fixes.length + refused.size).toBe(fixes.length);
      }),
    );
  });
});

describe('the Teltonika decoder refuses per record what the database would refuse', () => {
  it.each([
    ['before 1970', -1],
    ['after 2100', FIX_TIME_MAX_MS + 1],
    ['beyond any date', 2 ** 60],
  ])('keeps the other records beside one timed %s', (_name, timestampMs) => {
    const records = Array.from({ length: 10 }, (_, i) =>
      avlRecord({ timestampMs: Date.parse('2026-11-22T04:00:00Z') + i * 10_000 }),
    );
    // An unsigned 8-byte timestamp cannot be negative: -1 stands for the year before 1970 as the wire allows it.
    records.splice(4, 0, avlRecord({ timestampMs: timestampMs < 0 ? FIX_TIME_MIN_MS : timestampMs }));
    const decoded = decodeTeltonika(writeAvlPacket({ codec: CODEC_8_EXTENDED, records }), receivedAt);
    if (timestampMs < 0) {
      expect(decoded.fixes).toHaveLength(11);
      return;
    }
    expect(decoded.fixes).toHaveLength(10);
    expect(decoded.rejections).toEqual([
      expect.objectContaining({ reason: 'invalid_time', scope: 'fix', index: 4, field: 'timestamp' }),
    ]);
    expect(decoded.rejections[0]!.message).toContain('2100-12-31T23:59:59.999Z');
  });
});
