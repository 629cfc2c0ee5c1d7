import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MqttClient } from 'mqtt';
import { sql } from 'kysely';
import { TestApi, startTestApi } from '../support/api';
import { EnrolledDevice, connectDevice, enrolDevice, fix } from '../support/devices';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';
import { startNodeProcess, stopNodeProcess } from '../support/node-process';
import { PersistentTestDatabase, persistentTestDatabase } from '../support/storage';
import { TEST_RIVER, TEST_RIVER_MAPPING } from '../support/river';
import { testTime } from '../support/test-time';

/** The standalone ingest (`npm run start:ingest`) as a child process, resolved once it consumes. */
const startIngestProcess = (env: Record<string, string>) =>
  startNodeProcess('apps/ingest/src/main.ts', env, 'ingest running');
const killed = (child: ChildProcess) => stopNodeProcess(child, 'SIGKILL');

// Real deployment chain: Mosquitto (persistent sessions, nothing dropped), the standalone ingest, PostgreSQL.
// jest.config.js runs this suite only where DATABASE_URL and MQTT_URL are set.
const modes = ['postgres' as const];

describe.each(modes)('ingest killed mid-stream (%s, Mosquitto)', (mode) => {
  let mosquitto: RunningMosquitto;
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let ingestEnv: Record<string, string>;
  let ingest: ChildProcess | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    persistent = await persistentTestDatabase(mode);
    const brokerEnv = {
      MQTT_URL: mosquitto.url,
      MQTT_USERNAME: mosquitto.adminUsername,
      MQTT_PASSWORD: mosquitto.adminPassword,
      BROKER_KIND: 'mosquitto',
    };
    // The registry API, in process, enrols the trackers and provisions them on Mosquitto; it runs no ingest.
    api = await startTestApi(mode, brokerEnv, [], await persistent.open());
    const imported = await api.post('/v1/zones/import', { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe(201);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-ingest-'));
    ingestEnv = {
      ...brokerEnv,
      DATABASE_URL: persistent.location,
      JWT_SECRET: api.config.jwtSecret,
      DEVICE_SECRET_KEY: api.config.deviceSecretKey,
      DATA_DIR: dataDir,
      GEOFENCE_CACHE_DIR: api.config.geofenceCacheDir,
      ZONE_CATALOGUE_SEED: 'none',
      INGEST_INSTANCE_ID: 'crash-test',
      INGEST_MQTT_CONNECTIONS: '16',
      DEVICE_CLOCK_MAX_AGE_HOURS: api.config.deviceClockMaxAgeHours.toString(),
      LOG_LEVEL: 'log',
    };
    ingest = await startIngestProcess(ingestEnv);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    if (ingest && ingest.exitCode === null) await killed(ingest);
    await api.close();
    await mosquitto.stop();
    await persistent.dispose();
    fs.rmSync(ingestEnv['DATA_DIR'] as string, { recursive: true, force: true });
  });

  const storedCount = async () =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from positions`.execute(api.database.db)).rows[0]?.n ??
        0,
    );

  it('loses no acknowledged fix and duplicates nothing when ingest is SIGKILLed and restarted', async () => {
    const trackers: EnrolledDevice[] = [await enrolDevice(api, 'dredge')];
    for (let i = 0; i < 5; i++) trackers.push(await enrolDevice(api));
    for (const t of trackers) clients.push(await connectDevice(mosquitto.url, t.imei, t.password));
    const perTracker = 300;
    const t0 = Date.parse(testTime(26, '06:00:00'));
    // The dredge reaches the river at its 100th fix and stays: one violation, however often ingest restarts.
    const latOf = (tracker: number, k: number) =>
      tracker === 0 && k >= 100 ? -12.8502 : -12.8 + tracker * 0.001;
    const publishAll = (from: number, to: number) =>
      Promise.all(
        trackers.map(async (t, i) => {
          for (let k = from; k < to; k++)
            await clients[i]!.publishAsync(
              `devices/${t.imei}/fixes`,
              JSON.stringify(fix(new Date(t0 + k * 30_000).toISOString(), latOf(i, k), -69.55, { speed: 2 })),
              { qos: 1 },
            );
        }),
      );

    const firstHalf = publishAll(0, perTracker / 2);
    while ((await storedCount()) < 200) await new Promise((resolve) => setTimeout(resolve, 20));
    await killed(ingest!);
    await firstHalf;
    // Every publish so far was acknowledged by Mosquitto; the rest go out while ingest is down.
    await publishAll(perTracker / 2, perTracker);
    const whileDown = await storedCount();
    expect(whileDown).toBeLessThan(trackers.length * perTracker);

    ingest = await startIngestProcess(ingestEnv);
    const deadline = Date.now() + 45_000;
    while ((await storedCount()) < trackers.length * perTracker && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));

    const perImei = await api.database.db
      .selectFrom('positions')
      .select(['imei', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('imei')
      .execute();
    expect(Object.fromEntries(perImei.map((r) => [r.imei, Number(r.n)]))).toEqual(
      Object.fromEntries(trackers.map((t) => [t.imei, perTracker])),
    );
    // The rule verdicts: the dredge's jump of 5.6 km onto the river in 30 s is also a spoofing indication, an
    // integrity alert left out here.
    const violations = await api.database.db
      .selectFrom('violations')
      .select(['id', 'status'])
      .where('machine_id', '=', trackers[0]!.machineId)
      .where('zone_kind', '<>', 'integrity')
      .execute();
    expect(violations).toEqual([expect.objectContaining({ status: 'open' })]);
    const opened = await api.database.db
      .selectFrom('outbox_events')
      .select('id')
      .where('type', '=', 'violation.opened')
      .where('aggregate_id', '=', violations[0]!.id)
      .execute();
    expect(opened).toHaveLength(1);
  }, 120_000);
});
