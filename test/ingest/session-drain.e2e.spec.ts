import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MqttClient } from 'mqtt';
import { sql } from 'kysely';
import { ConsumerConnection } from '@app/mqtt-consumer';
import { DEVICE_PATTERNS } from '../../apps/ingest/src/transport/device-transport';
import {
  ingestClientId,
  sharedSubscriptions,
} from '../../apps/ingest/src/transport/shared-subscription.transport';
import { TestApi, startTestApi } from '../support/api';
import { EnrolledDevice, connectDevice, enrolDevice, fix } from '../support/devices';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';
import { startNodeProcess, stopNodeProcess } from '../support/node-process';
import { PersistentTestDatabase, persistentTestDatabase } from '../support/storage';
import { TEST_RIVER, TEST_RIVER_MAPPING } from '../support/river';
import { testTime } from '../support/test-time';

// Redeploys of the standalone ingest against a real Mosquitto (deploy/mosquitto/mosquitto.conf: persistent
// sessions, nothing dropped) and PostgreSQL. The embedded broker (Aedes) is no place for this: ingest runs inside
// it as its message handler, with no session of its own, and Aedes has no shared subscriptions; Mosquitto is
// where an MQTT 5 session in ingest's share group keeps its share of the devices' messages while its client is
// away. jest.config.js runs this suite only where DATABASE_URL and MQTT_URL are set.

const TRACKERS = 4;
const T0 = Date.parse(testTime(20, '06:00:00'));
const SHARED = sharedSubscriptions(Object.values(DEVICE_PATTERNS));

describe('ingest redeployed with fewer connections or under another name (PostgreSQL, Mosquitto)', () => {
  let mosquitto: RunningMosquitto;
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let baseEnv: Record<string, string>;
  let trackers: EnrolledDevice[];
  let devices: MqttClient[];
  let published: number;
  const running: ChildProcess[] = [];

  beforeEach(async () => {
    mosquitto = await startMosquitto();
    persistent = await persistentTestDatabase('postgres');
    const brokerEnv = {
      MQTT_URL: mosquitto.url,
      MQTT_USERNAME: mosquitto.adminUsername,
      MQTT_PASSWORD: mosquitto.adminPassword,
      BROKER_KIND: 'mosquitto',
    };
    // The registry API, in process, enrols the trackers and provisions them on Mosquitto; it runs no ingest.
    api = await startTestApi('postgres', brokerEnv, [], await persistent.open());
    const imported = await api.post('/v1/zones/import', { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe(201);
    baseEnv = {
      ...brokerEnv,
      DATABASE_URL: persistent.location,
      JWT_SECRET: api.config.jwtSecret,
      DEVICE_SECRET_KEY: api.config.deviceSecretKey,
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-ingest-')),
      GEOFENCE_CACHE_DIR: api.config.geofenceCacheDir,
      ZONE_CATALOGUE_SEED: 'none',
      DEVICE_CLOCK_MAX_AGE_HOURS: api.config.deviceClockMaxAgeHours.toString(),
      // A killed instance's sessions are drained 3 s after its last renewal (60 s by default).
      INGEST_SESSION_LEASE_SECONDS: '3',
      INGEST_DRAIN_QUIET_MS: '300',
      LOG_LEVEL: 'log',
    };
    trackers = [];
    for (let i = 0; i < TRACKERS; i++) trackers.push(await enrolDevice(api));
    devices = [];
    for (const t of trackers) devices.push(await connectDevice(mosquitto.url, t.imei, t.password));
    published = 0;
  });
  afterEach(async () => {
    await Promise.all((devices ?? []).map((d) => d.endAsync(true)));
    await Promise.all(running.splice(0).map((child) => stopNodeProcess(child, 'SIGKILL')));
    await api?.close();
    await mosquitto?.stop();
    await persistent?.dispose();
    if (baseEnv) fs.rmSync(baseEnv['DATA_DIR'] as string, { recursive: true, force: true });
  });

  /** The standalone ingest (`npm run start:ingest`) as a child process, resolved once it consumes. */
  async function startIngest(
    instanceId: string,
    connections: number,
    drain: 'on' | 'off',
  ): Promise<ChildProcess> {
    const child = await startNodeProcess(
      'apps/ingest/src/main.ts',
      {
        ...baseEnv,
        INGEST_INSTANCE_ID: instanceId,
        INGEST_MQTT_CONNECTIONS: String(connections),
        INGEST_SESSION_DRAIN: drain,
      },
      'ingest running',
    );
    running.push(child);
    return child;
  }

  async function stopIngest(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    running.splice(running.indexOf(child), 1);
    await stopNodeProcess(child, signal);
  }

  /** `perTracker` more fixes from every tracker at QoS 1, each acknowledged by Mosquitto. */
  async function publish(perTracker: number): Promise<void> {
    const from = published;
    await Promise.all(
      trackers.map(async (t, i) => {
        for (let k = from; k < from + perTracker; k++)
          await devices[i]!.publishAsync(
            `devices/${t.imei}/fixes`,
            JSON.stringify(fix(new Date(T0 + k * 30_000).toISOString(), -12.8 + i * 0.001, -69.55)),
            { qos: 1 },
          );
      }),
    );
    published += perTracker;
  }

  const total = () => published * TRACKERS;

  const storedCount = async () =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from positions`.execute(api.database.db)).rows[0]?.n ??
        0,
    );

  async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Each stored fix as `imei time`. */
  async function storedKeys(): Promise<Set<string>> {
    const rows = await api.database.db.selectFrom('positions').select(['imei', 'fix_time']).execute();
    return new Set(rows.map((r) => `${r.imei} ${r.fix_time.toISOString()}`));
  }

  /**
   * Resumes the sessions of these client ids as ingest's connections do and waits until every fix published is
   * stored or held there, acknowledging nothing (closed, the sessions hold it all again). Resolves with the fixes
   * held there and not stored: those the sessions strand. (A killed instance's sessions also give again what it
   * had stored and not yet acknowledged.)
   */
  async function strandedIn(clientIds: readonly string[]): Promise<number> {
    const held = new Set<string>();
    const connections = clientIds.map(
      (clientId) =>
        new ConsumerConnection({
          url: mosquitto.url,
          clientId,
          username: mosquitto.adminUsername,
          password: mosquitto.adminPassword,
          subscriptions: SHARED,
          sessionExpirySeconds: 7 * 24 * 3600,
          receiveMaximum: 65535,
          onMessage: (topic, payload) => {
            const { time } = JSON.parse(payload.toString()) as { time: string };
            held.add(`${topic.split('/')[1]} ${new Date(time).toISOString()}`);
            return new Promise<void>(() => undefined);
          },
        }),
    );
    await Promise.all(connections.map((c) => c.start()));
    try {
      let stranded = 0;
      await until(async () => {
        const stored = await storedKeys();
        stranded = [...held].filter((key) => !stored.has(key)).length;
        return stored.size + stranded === total();
      }, 'every fix stored or held in the sessions no instance uses');
      return stranded;
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  }

  /** Every tracker's fixes stored exactly once. */
  async function expectEveryFixOnce(): Promise<void> {
    const perImei = await api.database.db
      .selectFrom('positions')
      .select(['imei', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('imei')
      .execute();
    expect(Object.fromEntries(perImei.map((r) => [r.imei, Number(r.n)]))).toEqual(
      Object.fromEntries(trackers.map((t) => [t.imei, published])),
    );
  }

  const sessions = () =>
    api.database.db.selectFrom('ingest_sessions').selectAll().orderBy('client_id').execute();

  it('restarted with 2 connections instead of 4, drains the two sessions it no longer uses: every fix stored once', async () => {
    const first = await startIngest('drain-a', 4, 'on');
    await publish(20);
    await until(async () => (await storedCount()) === total(), 'the first fixes');
    // Stopped: its four sessions stay in the group, and each gets its share of what is published meanwhile.
    await stopIngest(first, 'SIGTERM');
    await publish(40);

    // Without the drain, the two sessions it no longer uses keep their share, and go on getting a share of what is
    // published after the restart: every fix is either stored or held there, and some are held there.
    const withoutDrain = await startIngest('drain-a', 2, 'off');
    await publish(20);
    const strandedCount = await strandedIn([ingestClientId('drain-a', 2), ingestClientId('drain-a', 3)]);
    expect(strandedCount).toBeGreaterThan(0);
    expect(await storedCount()).toBe(total() - strandedCount);
    await stopIngest(withoutDrain, 'SIGTERM');

    const withDrain = await startIngest('drain-a', 2, 'on');
    await until(async () => (await storedCount()) === total(), 'every fix stored after the drain');
    await expectEveryFixOnce();
    await until(
      async () => (await sessions()).filter((s) => s.drained_at !== null).length === 2,
      'both unused sessions marked drained',
    );
    const rows = await sessions();
    expect(
      rows.map((s) => [s.client_id, s.connection_index, s.lease_purpose, s.drained_at !== null]),
    ).toEqual([
      [ingestClientId('drain-a', 0), 0, 'consuming', false],
      [ingestClientId('drain-a', 1), 1, 'consuming', false],
      [ingestClientId('drain-a', 2), 2, null, true],
      [ingestClientId('drain-a', 3), 3, null, true],
    ]);
    expect(rows.every((s) => s.broker === mosquitto.url)).toBe(true);
    expect(rows.reduce((sum, s) => sum + (s.drained_messages ?? 0), 0)).toBeGreaterThanOrEqual(strandedCount);

    // Ended, the drained sessions take no share of what comes later: all of it is stored.
    await publish(10);
    await until(async () => (await storedCount()) === total(), 'the fixes published after the drain');
    const gone = new ConsumerConnection({
      url: mosquitto.url,
      clientId: ingestClientId('drain-a', 3),
      username: mosquitto.adminUsername,
      password: mosquitto.adminPassword,
      subscriptions: SHARED,
      sessionExpirySeconds: 0,
      receiveMaximum: 10,
      onMessage: async () => undefined,
    });
    expect(await gone.drain({ quietMs: 100 })).toEqual({ sessionPresent: false, messages: 0, ended: true });
    await stopIngest(withDrain, 'SIGTERM');
  }, 240_000);

  it('restarted under another instance id after a kill, drains the old identity once its lease expired: every fix stored once', async () => {
    const old = await startIngest('drain-old', 2, 'on');
    await publish(20);
    await until(async () => (await storedCount()) === total(), 'the first fixes');
    // Killed: its lease on its sessions is not released, it expires.
    await stopIngest(old, 'SIGKILL');
    await publish(40);

    const withoutDrain = await startIngest('drain-new', 2, 'off');
    await publish(20);
    const strandedCount = await strandedIn([ingestClientId('drain-old', 0), ingestClientId('drain-old', 1)]);
    // Everything published while no instance ran is there, and a share of what came after.
    expect(strandedCount).toBeGreaterThan(40 * TRACKERS);
    expect(await storedCount()).toBe(total() - strandedCount);
    await stopIngest(withoutDrain, 'SIGTERM');

    const withDrain = await startIngest('drain-new', 2, 'on');
    await until(async () => (await storedCount()) === total(), 'every fix stored after the drain');
    await expectEveryFixOnce();
    await until(
      async () => (await sessions()).filter((s) => s.drained_at !== null).length === 2,
      "the old name's sessions marked drained",
    );
    const rows = await sessions();
    expect(rows.map((s) => [s.client_id, s.instance_id, s.lease_purpose, s.drained_at !== null])).toEqual([
      [ingestClientId('drain-new', 0), 'drain-new', 'consuming', false],
      [ingestClientId('drain-new', 1), 'drain-new', 'consuming', false],
      [ingestClientId('drain-old', 0), 'drain-old', null, true],
      [ingestClientId('drain-old', 1), 'drain-old', null, true],
    ]);
    // Drained: the stranded fixes, and those the killed instance had stored without acknowledging them.
    expect(rows.reduce((sum, s) => sum + (s.drained_messages ?? 0), 0)).toBeGreaterThanOrEqual(strandedCount);
    await stopIngest(withDrain, 'SIGTERM');
  }, 240_000);
});
