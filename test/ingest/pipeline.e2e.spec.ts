import Redis from 'ioredis';
import { sql } from 'kysely';
import { MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { IngestCounters } from '../../apps/ingest/src/ingest-counters';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { EnrolledDevice, connectDevice, enrolDevice, fix, storedPositions } from '../support/devices';
import { createMachine, createOwner } from '../support/factories';
import { PersistentTestDatabase, persistentTestDatabase, storageModes } from '../support/storage';
import { TEST_RIVER, TEST_RIVER_MAPPING, minutes, ON_RIVER, OFF_RIVER } from '../support/river';
import { testTime } from '../support/test-time';

type LiveStateMode = 'memory' | 'redis';
const liveStateModes: LiveStateMode[] = process.env['REDIS_URL'] ? ['memory', 'redis'] : ['memory'];
const cases = storageModes().flatMap((storage) => liveStateModes.map((live) => [storage, live] as const));

describe.each(cases)('ingest pipeline (%s storage, live state in %s)', (storage, live) => {
  const prefix = `centinela-test-${randomBytes(4).toString('hex')}:`;
  const overrides: Record<string, string> = {
    MQTT_EMBEDDED_PORT: '0',
    ...(live === 'redis' ? { REDIS_URL: process.env['REDIS_URL'] as string, REDIS_KEY_PREFIX: prefix } : {}),
  };
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let url: string;
  const clients: MqttClient[] = [];

  async function start(): Promise<void> {
    api = await startTestApi(storage, overrides, [IngestModule], await persistent.open());
    url = api.app.get(IngestRuntime).brokerUrl!;
  }

  /** Ingest stops (its memory is gone) and starts again on the same database. */
  async function restart(): Promise<void> {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await api.close();
    await start();
  }

  async function device(enrolled: EnrolledDevice): Promise<MqttClient> {
    const client = await connectDevice(url, enrolled.imei, enrolled.password);
    clients.push(client);
    return client;
  }

  const publish = (client: MqttClient, imei: string, body: unknown) =>
    client.publishAsync(`devices/${imei}/fixes`, JSON.stringify(body), { qos: 1 });

  beforeAll(async () => {
    persistent = await persistentTestDatabase(storage);
    await start();
    const imported = await api.post('/v1/zones/import', { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe(201);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await api.close();
    await persistent.dispose();
    if (live === 'redis') {
      const redis = new Redis(process.env['REDIS_URL'] as string);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  /**
   * The rule verdicts of a machine. The tracks below jump between the river and 5.6 km off it in a minute, which
   * the integrity detectors also report (spoofing, see integrity.e2e.spec.ts); those alerts are left out here.
   */
  const violationsOf = (machineId: string) =>
    api.database.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('zone_kind', '<>', 'integrity')
      .orderBy('created_at')
      .execute();
  const outboxOf = async (ids: string[]) =>
    ids.length === 0
      ? []
      : (
          await api.database.db
            .selectFrom('outbox_events')
            .select('type')
            .where('aggregate_id', 'in', ids)
            .orderBy('created_at')
            .execute()
        ).map((e) => e.type);

  it('stores single fixes and batches once each, whatever is resent', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker);
    const counters = api.app.get(IngestCounters);
    const storedBefore = counters.fixesStored;
    const duplicatesBefore = counters.fixesDuplicate;
    await publish(client, tracker.imei, fix(testTime(20, '10:00:00'), -12.6, -69.2));
    const batch = { fixes: minutes(testTime(20, '10:01:00'), 5, -12.6) };
    await publish(client, tracker.imei, batch);
    // A QoS 1 redelivery (same bytes) and a firmware resend overlapping the batch (new bytes, same fixes).
    await publish(client, tracker.imei, batch);
    await publish(client, tracker.imei, { fixes: minutes(testTime(20, '10:04:00'), 4, -12.6) });

    const stored = await storedPositions(api, tracker.imei);
    expect(stored.map((p) => p.fix_time.toISOString())).toEqual(
      Array.from({ length: 8 }, (_, i) =>
        new Date(Date.parse(testTime(20, '10:00:00')) + i * 60_000).toISOString(),
      ),
    );
    expect(counters.fixesStored - storedBefore).toBe(8);
    expect(counters.fixesDuplicate - duplicatesBefore).toBe(5 + 2);
    const messages = await api.database.db
      .selectFrom('device_messages')
      .select('id')
      .where('imei', '=', tracker.imei)
      .execute();
    expect(messages).toHaveLength(3);
    for (const position of stored) {
      expect(position.h3_cell).toMatch(/^8c[0-9a-f]{13}$/);
      expect(position.stored_at.getTime()).toBeGreaterThanOrEqual(position.received_at.getTime());
    }
  });

  it('stores every fix of many trackers publishing at once, each exactly once', async () => {
    const trackers = await Promise.all(Array.from({ length: 12 }, () => enrolDevice(api)));
    const connected = await Promise.all(trackers.map((t) => device(t)));
    const t0 = Date.parse(testTime(21, '06:00:00'));
    await Promise.all(
      trackers.map((tracker, i) =>
        Promise.all(
          Array.from({ length: 25 }, (_, k) =>
            publish(
              connected[i]!,
              tracker.imei,
              fix(new Date(t0 + k * 30_000).toISOString(), -12.6 + i * 0.001, -69.2 + k * 0.0001),
            ),
          ),
        ),
      ),
    );
    for (const tracker of trackers) {
      const stored = await storedPositions(api, tracker.imei);
      expect(stored).toHaveLength(25);
      expect(new Set(stored.map((p) => p.fix_time.getTime())).size).toBe(25);
    }
  });

  it('keeps a message the database refuses with the reason and acknowledges it, storing the others beside it', async () => {
    // No decoded message is known that the database refuses, so the test database is made to refuse one value.
    await sql`alter table positions add constraint refuses_altitude_4321 check (altitude_m is distinct from 4321)`.execute(
      api.database.db,
    );
    try {
      const [first, second] = await Promise.all([enrolDevice(api), enrolDevice(api)]);
      const [a, b] = await Promise.all([device(first!), device(second!)]);
      const counters = api.app.get(IngestCounters);
      const refusedBefore = counters.rejections['storage_refused'] ?? 0;
      const poison = fix(testTime(23, '10:01:00'), -12.6, -69.2, { altitude: 4321 });
      // Published together: the three messages share a batch, which the refusal fails as a whole.
      await Promise.all([
        publish(a!, first!.imei, fix(testTime(23, '10:00:00'), -12.6, -69.2)),
        publish(a!, first!.imei, poison),
        publish(b!, second!.imei, fix(testTime(23, '10:00:00'), -12.7, -69.3)),
      ]);

      expect((await storedPositions(api, first!.imei)).map((p) => p.fix_time.toISOString())).toEqual([
        testTime(23, '10:00:00.000'),
      ]);
      expect(await storedPositions(api, second!.imei)).toHaveLength(1);
      const refused = await api.database.db
        .selectFrom('refused_device_messages')
        .selectAll()
        .where('imei', '=', first!.imei)
        .execute();
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ topic: `devices/${first!.imei}/fixes`, sqlstate: '23514' });
      expect(refused[0]!.error).toContain('refuses_altitude_4321');
      expect(JSON.parse(Buffer.from(refused[0]!.payload).toString())).toEqual(poison);
      expect((counters.rejections['storage_refused'] ?? 0) - refusedBefore).toBe(1);

      // An administrator sees it, whole, newest first.
      const listed = await api.get('/v1/ingest/refused?pageSize=200');
      expect(listed.status).toBe(200);
      const item = (listed.body.items as { imei: string; sqlstate: string; payloadBase64: string }[]).find(
        (i) => i.imei === first!.imei,
      );
      expect(item?.sqlstate).toBe('23514');
      expect(JSON.parse(Buffer.from(item!.payloadBase64, 'base64').toString())).toEqual(poison);
      const badPage = await api.get('/v1/ingest/refused?pageSize=0');
      expect(badPage.status).toBe(400);
      expect(JSON.stringify(badPage.body)).toContain('pageSize');
    } finally {
      await sql`alter table positions drop constraint refuses_altitude_4321`.execute(api.database.db);
    }
  });

  it('opens one violation from fixes that arrive late and out of order, marked late', async () => {
    const dredge = await enrolDevice(api, 'dredge');
    const client = await device(dredge);
    // Live fixes off the river first, then the buffered hours on the river flushed newest batch first.
    await publish(client, dredge.imei, { fixes: minutes(testTime(22, '12:00:00'), 3, OFF_RIVER) });
    const onRiver = minutes(testTime(22, '08:00:00'), 8, ON_RIVER);
    await publish(client, dredge.imei, { fixes: onRiver.slice(4) });
    await publish(client, dredge.imei, { fixes: onRiver.slice(0, 4) });

    const violations = await violationsOf(dredge.machineId);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ rule_id: 'dredge-in-water-body', late: true, imei: dredge.imei });
    expect(violations[0]!.started_at.toISOString()).toBe(testTime(22, '08:00:00.000'));
    expect(await storedPositions(api, dredge.imei)).toHaveLength(11);
  });

  it('attributes fixes to the machine the tracker is bound to when they are stored, as soon as a clerk rebinds it', async () => {
    const dredge = await enrolDevice(api, 'dredge');
    let client = await device(dredge);
    await publish(client, dredge.imei, { fixes: minutes(testTime(23, '08:00:00'), 6, ON_RIVER) });
    expect(await violationsOf(dredge.machineId)).toHaveLength(1);

    // The tracker moves to another dredge; ingest has its target in memory and must not keep the old one.
    const unbound = await api.post(`/v1/machines/${dredge.machineId}/tracker/unbind`, {
      reason: 'moved to dredge B',
    });
    expect(unbound.status).toBe(200);
    const owner = await createOwner(api);
    const other = await createMachine(api, owner.id, { category: 'dredge' });
    expect((await api.post(`/v1/machines/${other.id}/tracker`, { trackerId: dredge.trackerId })).status).toBe(
      201,
    );
    await client.endAsync(true).catch(() => undefined);
    const issued = await api.post(`/v1/trackers/${dredge.trackerId}/credentials`);
    expect(issued.status).toBe(201);
    // Installed on the other dredge before the fixes it sends from there.
    await api.database.db
      .updateTable('tracker_bindings')
      .set({ bound_at: new Date(testTime(23, '08:30:00')) })
      .where('tracker_id', '=', dredge.trackerId)
      .where('unbound_at', 'is', null)
      .execute();
    client = await device({ ...dredge, password: issued.body.password as string, machineId: other.id });
    await publish(client, dredge.imei, { fixes: minutes(testTime(23, '09:00:00'), 6, ON_RIVER) });

    const onOther = await violationsOf(other.id);
    expect(onOther).toHaveLength(1);
    expect(onOther[0]!.started_at.toISOString()).toBe(testTime(23, '09:00:00.000'));
    const onFirst = await violationsOf(dredge.machineId);
    expect(onFirst).toHaveLength(1);
    expect(onFirst[0]!.started_at.toISOString()).toBe(testTime(23, '08:00:00.000'));
  });

  it('rebuilds the live state from Postgres after a restart and closes the violation it opened, once', async () => {
    const dredge = await enrolDevice(api, 'dredge');
    let client = await device(dredge);
    await publish(client, dredge.imei, { fixes: minutes(testTime(23, '08:00:00'), 3, OFF_RIVER) });
    for (const point of minutes(testTime(23, '08:03:00'), 6, ON_RIVER))
      await publish(client, dredge.imei, point);
    const opened = await violationsOf(dredge.machineId);
    expect(opened.map((v) => v.status)).toEqual(['open']);

    await restart();
    const rebuiltBefore = api.app.get(IngestCounters).statesRebuilt;
    client = await device(dredge);
    for (const point of minutes(testTime(23, '08:09:00'), 5, OFF_RIVER))
      await publish(client, dredge.imei, point);

    const violations = await violationsOf(dredge.machineId);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ id: opened[0]!.id, status: 'closed' });
    expect(await outboxOf([opened[0]!.id])).toEqual(['violation.opened', 'violation.closed']);
    if (live === 'memory') expect(api.app.get(IngestCounters).statesRebuilt).toBe(rebuiltBefore + 1);
  });

  if (live === 'redis') {
    it('rebuilds the live state from Postgres when Redis lost it', async () => {
      const dredge = await enrolDevice(api, 'dredge');
      let client = await device(dredge);
      await publish(client, dredge.imei, { fixes: minutes(testTime(24, '08:00:00'), 3, OFF_RIVER) });
      for (const point of minutes(testTime(24, '08:03:00'), 6, ON_RIVER))
        await publish(client, dredge.imei, point);
      expect((await violationsOf(dredge.machineId)).map((v) => v.status)).toEqual(['open']);

      await restart();
      const redis = new Redis(process.env['REDIS_URL'] as string);
      const keys = await redis.keys(`${prefix}*${dredge.imei}`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      await redis.quit();

      const rebuiltBefore = api.app.get(IngestCounters).statesRebuilt;
      client = await device(dredge);
      // Still on the river after the loss: no second violation; then off it: the first one closes.
      for (const point of minutes(testTime(24, '08:09:00'), 4, ON_RIVER))
        await publish(client, dredge.imei, point);
      for (const point of minutes(testTime(24, '08:13:00'), 5, OFF_RIVER))
        await publish(client, dredge.imei, point);

      expect(api.app.get(IngestCounters).statesRebuilt).toBe(rebuiltBefore + 1);
      const violations = await violationsOf(dredge.machineId);
      expect(violations).toHaveLength(1);
      expect(violations[0]!.status).toBe('closed');
      expect(await outboxOf([violations[0]!.id])).toEqual(['violation.opened', 'violation.closed']);
    });
  }
});
