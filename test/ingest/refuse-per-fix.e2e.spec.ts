import { sql } from 'kysely';
import { MqttClient } from 'mqtt';
import { CODEC_8_EXTENDED, FIX_TIME_MAX_MS, writeAvlPacket } from '@app/telemetry';
import { avlRecord } from '@app/telemetry/testing/fixtures';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { IngestStatsRecorder } from '../../apps/ingest/src/ingest-stats.recorder';
import { TestApi, startTestApi } from '../support/api';
import { connectDevice, enrolDevice, fix, nextMessage, storedPositions } from '../support/devices';
import { storageModes } from '../support/storage';
import { testTime } from '../support/test-time';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';

/**
 * One bad value never takes the valid fixes beside it: a message of 10 valid fixes and one whose value the
 * database would refuse (a `real` that underflows, a subnormal, a year before 1970 or after 2100) goes through
 * the real ingest path; the 10 are stored, the bad one is refused (or its field dropped) with its reason on the
 * tracker's errors topic and in the counters, and nothing is kept in `refused_device_messages`.
 */
type Broker = 'embedded broker' | 'Mosquitto';
// Mosquitto where the real services are configured (CI sets MQTT_URL): a Mosquitto of the suite's own, with the
// project's configuration, ingest consuming through its shared subscriptions.
const brokers: Broker[] = process.env['MQTT_URL'] ? ['embedded broker', 'Mosquitto'] : ['embedded broker'];
const cases = storageModes().flatMap((storage) => brokers.map((broker) => [storage, broker] as const));

describe.each(cases)('one bad value in a message of valid fixes (%s storage, %s)', (storage, broker) => {
  let api: TestApi;
  let url: string;
  let mosquitto: RunningMosquitto | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    if (broker === 'Mosquitto') {
      mosquitto = await startMosquitto();
      api = await startTestApi(
        storage,
        {
          MQTT_URL: mosquitto.url,
          MQTT_USERNAME: mosquitto.adminUsername,
          MQTT_PASSWORD: mosquitto.adminPassword,
          BROKER_KIND: 'mosquitto',
        },
        [IngestModule],
      );
      url = mosquitto.url;
    } else {
      api = await startTestApi(storage, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
      url = api.app.get(IngestRuntime).brokerUrl!;
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await api.close();
    await mosquitto?.stop();
  });

  const valid = (i: number) =>
    fix(new Date(Date.parse(testTime(21, '10:00:00')) + i * 60_000).toISOString(), -12.6 + i * 1e-4, -69.2);

  async function tracker() {
    const enrolled = await enrolDevice(api);
    const client = await connectDevice(url, enrolled.imei, enrolled.password);
    clients.push(client);
    await client.subscribeAsync(`devices/${enrolled.imei}/errors`, { qos: 1 });
    return { ...enrolled, client };
  }

  async function refusedOf(imei: string) {
    return api.database.db
      .selectFrom('refused_device_messages')
      .select('id')
      .where('imei', '=', imei)
      .execute();
  }

  async function rejectionCounts(): Promise<Record<string, number>> {
    await api.app.get(IngestStatsRecorder).flush();
    const stats = await api.get('/v1/ingest/stats');
    expect(stats.status).toBe(200);
    return stats.body.ingest.rejections as Record<string, number>;
  }

  it.each([
    ['speed 1e-50 (a real that rounds to 0)', { speed: 1e-50 }, 'out_of_range', 'field', 'speed'],
    ['battery 5e-324 (a double subnormal)', { battery: 5e-324 }, 'out_of_range', 'field', 'battery'],
    ['hdop 1e-40 (a real subnormal)', { hdop: 1e-40 }, 'out_of_range', 'field', 'hdop'],
    ['time in year 0000', { time: '0000-01-01T00:00:00Z' }, 'invalid_time', 'fix', 'time'],
    ['time in 1969', { time: '1969-07-20T20:17:40Z' }, 'invalid_time', 'fix', 'time'],
    ['time in year 9999 as epoch milliseconds', { time: 253_402_300_799_999 }, 'invalid_time', 'fix', 'time'],
  ])('JSON: stores the 10 valid fixes beside one with %s', async (_name, bad, reason, scope, field) => {
    const { imei, client } = await tracker();
    const before = await rejectionCounts();
    const fixes = Array.from({ length: 10 }, (_, i) => valid(i));
    fixes.splice(7, 0, { ...valid(30), ...bad } as ReturnType<typeof valid>);
    const answer = nextMessage(client, `devices/${imei}/errors`);
    await client.publishAsync(`devices/${imei}/fixes`, JSON.stringify({ fixes }), { qos: 1 });

    const errors = await answer;
    expect(errors).toMatchObject({
      acceptedFixes: scope === 'fix' ? 10 : 11,
      rejections: [expect.objectContaining({ reason, scope, index: 7, field })],
    });
    const stored = await storedPositions(api, imei);
    const validTimes = Array.from({ length: 10 }, (_, i) => new Date(valid(i).time).toISOString());
    expect(stored.map((p) => p.fix_time.toISOString()).filter((t) => validTimes.includes(t))).toEqual(
      validTimes,
    );
    if (scope === 'fix') expect(stored).toHaveLength(10);
    else {
      // The fix is kept without the value the database cannot store.
      expect(stored).toHaveLength(11);
      const kept = stored.find((p) => p.message_index === 7);
      const column = { speed: 'speed_kmh', battery: 'battery_v', hdop: 'hdop' }[field] as 'speed_kmh';
      expect(kept?.[column]).toBeNull();
      expect(kept?.fix_time.toISOString()).toBe(new Date(valid(30).time).toISOString());
    }
    expect(await refusedOf(imei)).toEqual([]);
    const after = await rejectionCounts();
    expect((after[reason] ?? 0) - (before[reason] ?? 0)).toBe(1);
    expect((after['storage_refused'] ?? 0) - (before['storage_refused'] ?? 0)).toBe(0);
  });

  it.each([
    ['after 2100', FIX_TIME_MAX_MS + 1],
    ['beyond any date', 2 ** 60],
  ])('Teltonika: stores the 10 valid records beside one timed %s', async (_name, timestampMs) => {
    const { imei, client } = await tracker();
    const records = Array.from({ length: 10 }, (_, i) =>
      avlRecord({ timestampMs: Date.parse(testTime(21, '11:00:00')) + i * 10_000 }),
    );
    records.splice(3, 0, avlRecord({ timestampMs }));
    const answer = nextMessage(client, `devices/${imei}/errors`);
    await client.publishAsync(
      `devices/${imei}/teltonika`,
      Buffer.from(writeAvlPacket({ codec: CODEC_8_EXTENDED, records })),
      { qos: 1 },
    );

    expect(await answer).toMatchObject({
      acceptedFixes: 10,
      rejections: [
        expect.objectContaining({ reason: 'invalid_time', scope: 'fix', index: 3, field: 'timestamp' }),
      ],
    });
    expect(await storedPositions(api, imei)).toHaveLength(10);
    expect(await refusedOf(imei)).toEqual([]);
  });

  // The embedded broker's PUBACK waits for ingest, so the device's acknowledgement shows when the message was kept.
  if (broker === 'embedded broker')
    it('when the database still refuses a message on a data error, stores every other message of its batch and keeps that one before acknowledging it', async () => {
      // No decoded value is known that the database refuses any more, so the test database is made to refuse one
      // with a data error (division by zero, SQLSTATE 22012) as a value beyond a column's range would.
      await sql`alter table positions add constraint refuses_altitude_4321 check (altitude_m is distinct from 4321 or 1 / (altitude_m - 4321)::int = 0)`.execute(
        api.database.db,
      );
      try {
        const trackers = await Promise.all(Array.from({ length: 6 }, () => tracker()));
        const before = await rejectionCounts();
        const poisonTime = testTime(23, '10:02:00');
        let poisonAcknowledged: Promise<unknown> = Promise.resolve();
        // Published together, so that the messages share batches, which the refusal fails as a whole.
        await Promise.all(
          trackers.flatMap(({ imei, client }, t) =>
            Array.from({ length: 5 }, (_, m) => {
              const time = new Date(Date.parse(testTime(23, '10:00:00')) + m * 60_000).toISOString();
              const poison = t === 3 && time === new Date(poisonTime).toISOString();
              const body = fix(time, -12.6 - t * 1e-3, -69.2, poison ? { altitude: 4321 } : {});
              const sent = client.publishAsync(`devices/${imei}/fixes`, JSON.stringify(body), { qos: 1 });
              if (poison)
                poisonAcknowledged = sent.then(async () => {
                  // Acknowledged only once kept: it is there as soon as the PUBACK arrives.
                  const kept = await refusedOf(imei);
                  expect(kept).toHaveLength(1);
                });
              return sent;
            }),
          ),
        );
        await poisonAcknowledged;

        for (const [t, { imei }] of trackers.entries())
          expect([t, (await storedPositions(api, imei)).length]).toEqual([t, t === 3 ? 4 : 5]);
        const kept = await api.database.db
          .selectFrom('refused_device_messages')
          .selectAll()
          .where('imei', '=', trackers[3]!.imei)
          .execute();
        expect(kept).toEqual([expect.objectContaining({ sqlstate: '22012' })]);
        const after = await rejectionCounts();
        expect((after['storage_refused'] ?? 0) - (before['storage_refused'] ?? 0)).toBe(1);
      } finally {
        await sql`alter table positions drop constraint refuses_altitude_4321`.execute(api.database.db);
      }
    });
});
