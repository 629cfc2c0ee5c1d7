import fc from 'fast-check';
import { sql } from 'kysely';
import { Store } from '@app/db';
import {
  AvlIoElement,
  AvlRecord,
  CODEC_8_EXTENDED,
  FIX_COLUMNS,
  FIX_TIME_MAX_MS,
  TELTONIKA_IO,
  writeAvlPacket,
} from '@app/telemetry';
import { edgyJsonFix } from '@app/telemetry/testing/storable-arbitraries';
import { decode } from '../../apps/ingest/src/stages/decode.stage';
import { checkPlausibility } from '../../apps/ingest/src/stages/plausibility.stage';
import { storeTelemetry, telemetryRows } from '../../apps/ingest/src/stages/store.stage';
import { incoming } from '../../apps/ingest/src/stages/testing';
import { TestDatabase, openTestDatabase, storageModes } from '../support/storage';

/** Valid IMEIs (Luhn): the positions table keys fixes by IMEI and time, without a registry reference. */
const JSON_IMEI = '356307042441013';
const TELTONIKA_IMEI = '490154203237518';

const mappedIo = fc.constantFrom(...Object.values(TELTONIKA_IO));
const ioArb: fc.Arbitrary<AvlIoElement> = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8).chain((width) =>
  fc.record({
    id: fc.oneof(mappedIo, fc.integer({ min: 0, max: 0xffff })),
    width: fc.constant(width),
    bytes: fc.uint8Array({ minLength: width, maxLength: width }),
  }),
);
const recordArb: fc.Arbitrary<AvlRecord> = fc.record({
  timestampMs: fc.oneof(
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(0, FIX_TIME_MAX_MS, FIX_TIME_MAX_MS + 1, 8.64e15, 2 ** 60),
  ),
  priority: fc.integer({ min: 0, max: 2 }),
  longitudeE7: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  latitudeE7: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  altitude: fc.integer({ min: -32768, max: 32767 }),
  angle: fc.integer({ min: 0, max: 0xffff }),
  satellites: fc.integer({ min: 0, max: 255 }),
  speed: fc.integer({ min: 0, max: 0xffff }),
  eventIoId: fc.oneof(mappedIo, fc.integer({ min: 0, max: 0xffff })),
  io: fc.uniqueArray(ioArb, { maxLength: 10, selector: (e) => e.id }),
});

/**
 * Any fix a decoder accepts, the database stores: decoded payloads (JSON and Teltonika, with values at and beyond
 * every column's limits) go through the stages up to the store and are written by the real statement
 * (`storeTelemetry`), which must not fail.
 */
describe.each(storageModes())('every fix a decoder accepts is stored (%s storage)', (storage) => {
  let database: TestDatabase;
  let store: Store;
  let received = Date.parse('2026-11-22T05:00:00Z');

  beforeAll(async () => {
    database = await openTestDatabase(storage);
    store = new Store(database.db);
  });
  afterAll(async () => {
    await database.dispose();
  });

  async function storeDecoded(topic: string, payload: Buffer): Promise<{ accepted: number; stored: number }> {
    received += 1000;
    const item = decode(incoming(topic, payload, new Date(received)));
    item.machine = null;
    checkPlausibility(item, undefined);
    const rows = telemetryRows([item]);
    return { accepted: item.fixes.length, stored: await storeTelemetry(store.repos, rows) };
  }

  it('knows the type of every positions column it checks values against', async () => {
    const columns = await sql<{ column_name: string; data_type: string }>`
      select column_name, data_type from information_schema.columns where table_name = 'positions'
    `.execute(database.db);
    const types = new Map(columns.rows.map((c) => [c.column_name, c.data_type]));
    for (const { column, type } of Object.values(FIX_COLUMNS))
      expect([column, types.get(column)]).toEqual([
        column,
        type === 'timestamptz' ? 'timestamp with time zone' : type,
      ]);
  });

  it('stores every JSON fix the decoder accepts', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edgyJsonFix, { minLength: 1, maxLength: 8 }), async (fixes) => {
        const result = await storeDecoded(
          `devices/${JSON_IMEI}/fixes`,
          Buffer.from(JSON.stringify({ fixes })),
        );
        accepted += result.accepted;
      }),
      { numRuns: 150 },
    );
    // The generator reaches accepted fixes, not only refusals.
    expect(accepted).toBeGreaterThan(50);
  });

  it('stores every Teltonika record the decoder accepts', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 5 }), async (records) => {
        const packet = Buffer.from(writeAvlPacket({ codec: CODEC_8_EXTENDED, records }));
        const result = await storeDecoded(`devices/${TELTONIKA_IMEI}/teltonika`, packet);
        accepted += result.accepted;
      }),
      { numRuns: 100 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});
