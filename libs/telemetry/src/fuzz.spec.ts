import fc from 'fast-check';
import { decodeJsonFixes } from './json/fix-decoder';
import { isPlainObject } from './json/payload';
import { Fix, DecodeResult, FIX_EVENTS, FIX_FLAGS, FixEvent, REJECTION_REASONS } from './model';
import { FLOAT4_MIN_NORMAL } from './storable';
import {
  AvlCodec,
  AvlIoElement,
  AvlIoWidth,
  AvlRecord,
  CODEC_8,
  CODEC_8_EXTENDED,
} from './teltonika/avl-packet';
import { writeAvlPacket } from './teltonika/avl-writer';
import { crc16Ibm } from './teltonika/crc16';
import { decodeTeltonika } from './teltonika/teltonika-decoder';

const receivedAt = new Date('2026-11-22T05:00:00Z');
const RUNS = 2000;

/** What every decode must satisfy, whatever the input: a total, well-formed answer. */
function expectWellFormed(result: DecodeResult): void {
  for (const fix of result.fixes) {
    expect(Number.isNaN(fix.time)).toBe(false);
    expect(Number.isFinite(fix.lat) && Number.isFinite(fix.lon)).toBe(true);
    expect(fix.flags.every((flag) => FIX_FLAGS.includes(flag))).toBe(true);
    expect(fix.trusted).toBe(fix.flags.length === 0);
  }
  for (const rejection of result.rejections) {
    expect(REJECTION_REASONS).toContain(rejection.reason);
    expect(rejection.message.length).toBeGreaterThan(0);
  }
  if (result.fixes.length === 0) expect(result.rejections.length).toBeGreaterThan(0);
}

const nonNegativeZero = (value: number) => (Object.is(value, -0) ? 0 : value);
const dateInRange = (min: string, max: string) =>
  fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true });

describe('Teltonika decoder under fuzzing', () => {
  const ioElementArb = (extended: boolean): fc.Arbitrary<AvlIoElement> =>
    fc
      .constantFrom<AvlIoWidth>(...(extended ? ([1, 2, 4, 8, 0] as const) : ([1, 2, 4, 8] as const)))
      .chain((width) =>
        fc.record({
          id: fc.integer({ min: 0, max: extended ? 0xffff : 0xff }),
          width: fc.constant(width),
          bytes:
            width === 0
              ? fc.uint8Array({ maxLength: 40 })
              : fc.uint8Array({ minLength: width, maxLength: width }),
        }),
      );

  const recordArb = (extended: boolean): fc.Arbitrary<AvlRecord> =>
    fc.record({
      timestampMs: dateInRange('1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z').map((date) => date.getTime()),
      priority: fc.integer({ min: 0, max: 2 }),
      longitudeE7: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      latitudeE7: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      altitude: fc.integer({ min: -32768, max: 32767 }),
      angle: fc.integer({ min: 0, max: 360 }),
      satellites: fc.integer({ min: 0, max: 40 }),
      speed: fc.integer({ min: 0, max: 0xffff }),
      eventIoId: fc.integer({ min: 0, max: extended ? 0xffff : 0xff }),
      io: fc.array(ioElementArb(extended), { maxLength: 12 }),
    });

  const packetArb = fc.boolean().chain((extended) =>
    fc.record({
      codec: fc.constant<AvlCodec>(extended ? CODEC_8_EXTENDED : CODEC_8),
      records: fc.array(recordArb(extended), { minLength: 1, maxLength: 6 }),
    }),
  );

  const groupOrder = (io: AvlIoElement[]) =>
    [1, 2, 4, 8, 0].flatMap((width) => io.filter((element) => element.width === width));

  it('decodes every record of every valid packet, with its content', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        const { fixes, rejections } = decodeTeltonika(writeAvlPacket(packet), receivedAt);

        expect(rejections).toEqual([]);
        expect(fixes).toHaveLength(packet.records.length);
        packet.records.forEach((record, i) => {
          const fix = fixes[i]!;
          expect(fix.time).toBe(record.timestampMs);
          expect(fix.lat).toBe(record.latitudeE7 / 1e7);
          expect(fix.lon).toBe(record.longitudeE7 / 1e7);
          expect([fix.speedKmh, fix.headingDeg, fix.altitudeM, fix.satellites]).toEqual([
            record.speed,
            record.angle,
            record.altitude,
            record.satellites,
          ]);
          expect(fix.teltonika?.eventIoId).toBe(record.eventIoId);
          expect(fix.teltonika?.io.map((element) => [element.id, element.width, element.hex])).toEqual(
            groupOrder(record.io).map((element) => [
              element.id,
              element.width,
              Buffer.from(element.bytes).toString('hex'),
            ]),
          );
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        expectWellFormed(decodeTeltonika(bytes, receivedAt)),
      ),
      { numRuns: RUNS },
    );
  });

  it('never throws on random data fields behind valid framing and CRC', () => {
    const framed = fc
      .tuple(
        fc.constantFrom(CODEC_8, CODEC_8_EXTENDED, 0x10),
        fc.integer({ min: 0, max: 4 }),
        fc.uint8Array({ maxLength: 300 }),
      )
      .map(([codec, count, body]) => {
        const data = Buffer.concat([Buffer.from([codec, count]), body, Buffer.from([count])]);
        const packet = Buffer.alloc(12 + data.length);
        packet.writeUInt32BE(data.length, 4);
        data.copy(packet, 8);
        packet.writeUInt32BE(crc16Ibm(data), 8 + data.length);
        return packet;
      });
    fc.assert(
      fc.property(framed, (packet) => expectWellFormed(decodeTeltonika(packet, receivedAt))),
      { numRuns: RUNS },
    );
  });

  it('refuses any packet with one flipped bit, as a whole and with one reason', () => {
    const flipped = packetArb.chain((packet) => {
      const bytes = writeAvlPacket(packet);
      return fc.integer({ min: 0, max: bytes.length * 8 - 1 }).map((bit) => {
        const copy = Buffer.from(bytes);
        copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
        return copy;
      });
    });
    fc.assert(
      fc.property(flipped, (payload) => {
        const result = decodeTeltonika(payload, receivedAt);
        expect(result.fixes).toEqual([]);
        expect(result.rejections).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses truncated and extended packets as a whole', () => {
    const damaged = packetArb.chain((packet) => {
      const bytes = writeAvlPacket(packet);
      return fc.oneof(
        fc
          .integer({ min: 1, max: bytes.length - 1 })
          .map((length) => ({ payload: bytes.subarray(0, length), reason: 'truncated' })),
        fc
          .uint8Array({ minLength: 1, maxLength: 64 })
          .map((extra) => ({ payload: Buffer.concat([bytes, extra]), reason: 'length_mismatch' })),
      );
    });
    fc.assert(
      fc.property(damaged, ({ payload, reason }) => {
        const result = decodeTeltonika(payload, receivedAt);
        expect(result.fixes).toEqual([]);
        expect(result.rejections.map((r) => r.reason)).toEqual([reason]);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws when bytes inside a valid packet are corrupted and the CRC is made to match', () => {
    const corrupted = packetArb.chain((packet) => {
      const bytes = writeAvlPacket(packet);
      return fc
        .array(fc.tuple(fc.integer({ min: 8, max: bytes.length - 5 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => {
          const copy = Buffer.from(bytes);
          for (const [at, value] of edits) copy[at] = value;
          copy.writeUInt32BE(crc16Ibm(copy, 8, copy.length - 4), copy.length - 4);
          return copy;
        });
    });
    fc.assert(
      fc.property(corrupted, (payload) => expectWellFormed(decodeTeltonika(payload, receivedAt))),
      { numRuns: RUNS },
    );
  });
});

describe('JSON fix decoder under fuzzing', () => {
  interface ValidEntry {
    source: Record<string, unknown>;
    expected: Omit<Fix, 'flags' | 'trusted' | 'index'>;
  }

  /** A number a `real` column stores (`FLOAT4_MIN_NORMAL`): smaller non-zero magnitudes are refused, tested apart. */
  const real = (min: number, max: number) =>
    fc.double({ min, max, noNaN: true }).map((x) => (Math.abs(x) < FLOAT4_MIN_NORMAL ? 0 : x));
  const optionalNumbers = {
    speed: ['speedKmh', real(0, 1000)],
    heading: ['headingDeg', real(0, 360)],
    altitude: ['altitudeM', real(-1000, 20000)],
    hdop: ['hdop', real(0, 100)],
    pdop: ['pdop', real(0, 100)],
    satellites: ['satellites', fc.integer({ min: 0, max: 255 })],
    externalVoltage: ['externalVoltageV', real(0, 100)],
    battery: ['batteryV', real(0, 100)],
    sequence: ['sequence', fc.bigInt({ min: 0n, max: 4_294_967_295n }).map(Number)],
  } as const;

  const validEntryArb: fc.Arbitrary<ValidEntry> = fc
    .record(
      {
        time: fc.oneof(
          dateInRange('1970-01-01T00:00:00Z', '2100-12-31T23:59:59.999Z').map((date) => date.toISOString()),
          dateInRange('1970-01-01T00:00:00Z', '2100-12-31T23:59:59.999Z').map((date) => date.getTime()),
        ),
        lat: fc.double({ noNaN: true, noDefaultInfinity: true }).map(nonNegativeZero),
        lon: fc.double({ noNaN: true, noDefaultInfinity: true }).map(nonNegativeZero),
        ignition: fc.boolean(),
        events: fc.array(fc.constantFrom(...FIX_EVENTS), { maxLength: 6 }),
        ...Object.fromEntries(
          Object.entries(optionalNumbers).map(([name, [, arb]]) => [
            name,
            (arb as fc.Arbitrary<number>).map(nonNegativeZero),
          ]),
        ),
      },
      { requiredKeys: ['time', 'lat', 'lon'] },
    )
    .map((source) => {
      const expected: ValidEntry['expected'] = {
        deviceId: '',
        source: 'json',
        time: new Date(source.time as string | number).getTime(),
        receivedAt: receivedAt.getTime(),
        lat: source.lat,
        lon: source.lon,
        events: FIX_EVENTS.filter((event) => ((source.events ?? []) as FixEvent[]).includes(event)),
      };
      if (source.ignition !== undefined) expected.ignition = source.ignition;
      for (const [name, [key]] of Object.entries(optionalNumbers)) {
        const value = (source as Record<string, unknown>)[name];
        if (typeof value === 'number') expected[key] = value;
      }
      return { source, expected };
    });

  const junkArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.jsonValue().filter((value) => !isPlainObject(value)),
    fc
      .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
      .filter((object) => !Object.hasOwn(object, 'time')),
    validEntryArb.chain(({ source }) =>
      fc.oneof(
        fc.constantFrom('time', 'lat', 'lon').map((field) => ({ ...source, [field]: undefined })),
        fc
          .constantFrom('lat', 'lon')
          .chain((field) =>
            fc
              .oneof(fc.string(), fc.boolean(), fc.constant(null))
              .map((value) => ({ ...source, [field]: value })),
          ),
        fc.string({ maxLength: 30 }).map((time) => ({ ...source, time: `${time}+05:00` })),
        fc
          .double({ min: 0.1, max: 0.9, noNaN: true })
          .map((fraction) => ({ ...source, time: Date.UTC(2026, 0, 1) + fraction })),
      ),
    ),
  );

  it('keeps exactly the valid fixes of a batch mixed with junk, and refuses each junk entry once', () => {
    const batchArb = fc.array(
      fc.oneof(
        validEntryArb.map((entry) => ({ valid: entry })),
        junkArb.map((junk) => ({ junk })),
      ),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(batchArb, (entries) => {
        const payload = Buffer.from(
          JSON.stringify({
            fixes: entries.map((entry) => ('valid' in entry ? entry.valid.source : entry.junk)),
          }),
        );

        const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

        const validIndexes = entries.flatMap((entry, index) => ('valid' in entry ? [index] : []));
        const junkIndexes = entries.flatMap((entry, index) => ('junk' in entry ? [index] : []));
        expect(fixes.map(({ flags: _flags, trusted: _trusted, ...content }) => content)).toEqual(
          validIndexes.map((index) => ({
            ...(entries[index] as { valid: ValidEntry }).valid.expected,
            index,
          })),
        );
        expect(rejections.map((rejection) => [rejection.index, rejection.scope])).toEqual(
          junkIndexes.map((index) => [index, 'fix']),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        expectWellFormed(decodeJsonFixes(bytes, receivedAt)),
      ),
      { numRuns: RUNS },
    );
  });

  it('never throws on arbitrary JSON, inside or outside a batch', () => {
    const anyJson = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((fixes) => ({ fixes })),
    );
    fc.assert(
      fc.property(anyJson, (value) =>
        expectWellFormed(decodeJsonFixes(Buffer.from(JSON.stringify(value) ?? ''), receivedAt)),
      ),
      { numRuns: RUNS },
    );
  });

  it('never throws on valid batches with characters cut, doubled or replaced', () => {
    const mangled = fc.array(validEntryArb, { minLength: 1, maxLength: 5 }).chain((entries) => {
      const text = JSON.stringify({ fixes: entries.map((entry) => entry.source) });
      return fc
        .array(
          fc.tuple(
            fc.integer({ min: 0, max: text.length - 1 }),
            fc.constantFrom('cut', 'double', 'replace'),
            fc.string({ minLength: 1, maxLength: 1 }),
          ),
          {
            minLength: 1,
            maxLength: 5,
          },
        )
        .map((edits) =>
          edits.reduce((current, [at, kind, character]) => {
            const i = Math.min(at, current.length - 1);
            if (kind === 'cut') return current.slice(0, i) + current.slice(i + 1);
            if (kind === 'double') return current.slice(0, i + 1) + current.slice(i);
            return current.slice(0, i) + character + current.slice(i + 1);
          }, text),
        );
    });
    fc.assert(
      fc.property(mangled, (text) => expectWellFormed(decodeJsonFixes(Buffer.from(text), receivedAt))),
      { numRuns: RUNS },
    );
  });
});
