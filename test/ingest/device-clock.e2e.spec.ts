import { MqttClient } from 'mqtt';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { connectDevice, enrolDevice, fix, nextMessage, storedPositions } from '../support/devices';
import { PersistentTestDatabase, persistentTestDatabase, storageModes } from '../support/storage';
import { TEST_RIVER, TEST_RIVER_MAPPING, ON_RIVER } from '../support/river';
import { importLayer } from '../support/zones';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
/** On the test river's water: a dredge there with a trusted clock opens a violation. */
const onRiver = (time: number) => fix(iso(time), ON_RIVER, -69.55, { speed: 2 });

describe.each(storageModes())('device clocks through ingest (%s storage)', (storage) => {
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    persistent = await persistentTestDatabase(storage);
    api = await startTestApi(
      storage,
      { MQTT_EMBEDDED_PORT: '0', DEVICE_CLOCK_MAX_AGE_HOURS: '168' },
      [IngestModule],
      await persistent.open(),
    );
    url = api.app.get(IngestRuntime).brokerUrl!;
    const imported = await importLayer(api, { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe('succeeded');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await api.close();
    await persistent.dispose();
  });

  const violationsOf = (machineId: string) =>
    api.database.db.selectFrom('violations').selectAll().where('machine_id', '=', machineId).execute();

  it('stores a dredge’s fixes timed before its enrolment, 13 days or decades old, flagged; reports them and opens nothing', async () => {
    const dredge = await enrolDevice(api, 'dredge', {}, 0);
    const client = await connectDevice(url, dredge.imei, dredge.password);
    clients.push(client);
    await client.subscribeAsync(`devices/${dredge.imei}/errors`, { qos: 1 });
    const now = Date.now();
    const untrusted = [
      onRiver(Date.UTC(1999, 7, 22, 0, 0, 0)),
      onRiver(now - 13 * DAY),
      onRiver(now - 2 * 60 * MIN),
      onRiver(now - 2 * 60 * MIN + MIN),
    ];

    const answer = nextMessage(client, `devices/${dredge.imei}/errors`);
    await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify({ fixes: untrusted }), {
      qos: 1,
    });

    expect(await answer).toMatchObject({
      acceptedFixes: 4,
      rejections: [],
      untrustedClock: [
        expect.objectContaining({ index: 0, doubt: 'behind_receipt' }),
        expect.objectContaining({ index: 1, doubt: 'behind_receipt' }),
        expect.objectContaining({ index: 2, doubt: 'before_binding' }),
        expect.objectContaining({ index: 3, doubt: 'before_binding' }),
      ],
    });
    const stored = await storedPositions(api, dredge.imei);
    expect(stored.map((p) => [p.flags.includes('clock'), p.trusted])).toEqual(
      untrusted.map(() => [true, false]),
    );
    expect(await violationsOf(dredge.machineId)).toEqual([]);
  });

  it('lets the fixes of a trusted clock open the violation, from the first of them', async () => {
    const dredge = await enrolDevice(api, 'dredge', {}, DAY);
    const client = await connectDevice(url, dredge.imei, dredge.password);
    clients.push(client);
    const now = Date.now();
    const old = onRiver(now - 13 * DAY);
    const live = Array.from({ length: 6 }, (_, i) => onRiver(now - (6 - i) * MIN));

    await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify(old), { qos: 1 });
    await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify({ fixes: live }), { qos: 1 });

    const violations = await violationsOf(dredge.machineId);
    expect(violations.map((v) => [v.rule_id, v.zone_kind])).toEqual([['dredge-in-water-body', 'water_body']]);
    expect(new Date(violations[0]!.started_at).getTime()).toBe(Date.parse(live[0]!.time));
  });
});
