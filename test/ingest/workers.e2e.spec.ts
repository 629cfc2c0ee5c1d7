import { MqttClient } from 'mqtt';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { IngestStatsRecorder } from '../../apps/ingest/src/ingest-stats.recorder';
import { TestApi, startTestApi } from '../support/api';
import { PersistentTestDatabase, persistentTestDatabase } from '../support/storage';
import { connectDevice, enrolDevice, nextMessage, storedPositions } from '../support/devices';
import { TEST_RIVER, TEST_RIVER_MAPPING, minutes, ON_RIVER, OFF_RIVER } from '../support/river';
import { testTime } from '../support/test-time';
import { importLayer } from '../support/zones';

// Worker threads need PostgreSQL (the embedded database lives in one thread): this suite runs where DATABASE_URL
// is set (jest.config.js).
describe('ingest on worker threads (postgres storage, INGEST_WORKERS=2)', () => {
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    persistent = await persistentTestDatabase('postgres');
    // Each thread opens a pool of its own on the suite's database.
    const overrides = { MQTT_EMBEDDED_PORT: '0', INGEST_WORKERS: '2', DATABASE_URL: persistent.location };
    api = await startTestApi('postgres', overrides, [IngestModule], await persistent.open());
    url = api.app.get(IngestRuntime).brokerUrl!;
    const imported = await importLayer(api, { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe('succeeded');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await api.close();
    await persistent.dispose();
  });

  it('stores every fix once and opens one violation per dredge on the river, whichever thread serves it', async () => {
    const dredges = await Promise.all(Array.from({ length: 6 }, () => enrolDevice(api, 'dredge')));
    const connected = await Promise.all(dredges.map((d) => connectDevice(url, d.imei, d.password)));
    clients.push(...connected);
    await api.app.get(IngestStatsRecorder).flush();
    const statsBefore = (await api.get('/v1/ingest/stats')).body.ingest as { fixesStored: number };
    // Off the river, onto it, off again: each as single-fix messages, then a resend of the whole track.
    const track = [
      ...minutes(testTime(24, '08:00:00'), 3, OFF_RIVER),
      ...minutes(testTime(24, '08:03:00'), 6, ON_RIVER),
      ...minutes(testTime(24, '08:09:00'), 6, OFF_RIVER),
    ];
    await Promise.all(
      dredges.map(async (dredge, i) => {
        const client = connected[i]!;
        for (const fix of track)
          await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify(fix), { qos: 1 });
        await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify({ fixes: track }), {
          qos: 1,
        });
      }),
    );
    for (const dredge of dredges) {
      expect(await storedPositions(api, dredge.imei)).toHaveLength(track.length);
      const violations = await api.database.db
        .selectFrom('violations')
        .select(['rule_id', 'status'])
        .where('machine_id', '=', dredge.machineId)
        .where('zone_kind', '<>', 'integrity')
        .execute();
      expect(violations).toEqual([{ rule_id: 'dredge-in-water-body', status: 'closed' }]);
    }
    await api.app.get(IngestStatsRecorder).flush();
    const stats = (await api.get('/v1/ingest/stats')).body.ingest as {
      fixesStored: number;
      fixesDuplicate: number;
    };
    expect(stats.fixesStored - statsBefore.fixesStored).toBe(dredges.length * track.length);
  });

  it('answers a device on its errors topic from the thread that rejected its message', async () => {
    const tracker = await enrolDevice(api);
    const client = await connectDevice(url, tracker.imei, tracker.password);
    clients.push(client);
    await client.subscribeAsync(`devices/${tracker.imei}/errors`, { qos: 1 });
    const answer = nextMessage(client, `devices/${tracker.imei}/errors`);
    await client.publishAsync(`devices/${tracker.imei}/fixes`, '{"lat": -12.6, oops', { qos: 1 });
    expect(await answer).toMatchObject({ rejections: [expect.objectContaining({ reason: 'invalid_json' })] });
    await api.app.get(IngestStatsRecorder).flush();
    const stats = (await api.get('/v1/ingest/stats')).body.ingest as { rejections: Record<string, number> };
    expect(stats.rejections['invalid_json']).toBeGreaterThanOrEqual(1);
  });
});
