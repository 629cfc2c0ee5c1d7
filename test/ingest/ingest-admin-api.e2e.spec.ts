import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { sql } from 'kysely';
import { MqttClient } from 'mqtt';
import { ServiceContextModule } from '@app/platform';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime, startIngest } from '../../apps/ingest/src/ingest.runtime';
import { IngestStatsRecorder } from '../../apps/ingest/src/ingest-stats.recorder';
import { TestApi, startTestApi, testConfig } from '../support/api';
import { connectDevice, enrolDevice, fix, nextMessage, storedPositions } from '../support/devices';
import { TestDatabase, openTestDatabase, storageModes } from '../support/storage';
import { testTime } from '../support/test-time';

type Shape = 'registry API alone' | 'main job';
const shapes: Shape[] = ['registry API alone', 'main job'];
const cases = storageModes().flatMap((storage) => shapes.map((shape) => [storage, shape] as const));

/**
 * Administrators read ingest's counters and the messages the database refused through the registry API, from the
 * database, whether the API runs on its own beside a separate ingest (the separate apps' shape) or in the main
 * job with ingest in the same process.
 */
describe.each(cases)('ingest counters and refused messages (%s storage, %s)', (storage, shape) => {
  const instanceId = `ingest-${shape === 'main job' ? 'main' : 'separate'}-${Math.random().toString(16).slice(2, 8)}`;
  let database: TestDatabase;
  let api: TestApi;
  /** The app ingest runs in: its own (the separate shape) or the registry API's (the main job). */
  let ingest: INestApplication;
  const clients: MqttClient[] = [];

  async function startSeparateIngest(): Promise<INestApplication> {
    const config = testConfig({ MQTT_EMBEDDED_PORT: '0', INGEST_INSTANCE_ID: instanceId });
    // The database belongs to the test: the ingest app must not close it when it stops.
    const shared = { ...database, close: async () => undefined };
    const app = await NestFactory.create(ServiceContextModule.forRoot(config, shared, [IngestModule]), {
      logger: ['error'],
    });
    await app.init();
    await startIngest(app);
    return app;
  }

  beforeAll(async () => {
    database = await openTestDatabase(storage);
    const shared = { ...database, dispose: async () => undefined, close: async () => undefined };
    if (shape === 'main job') {
      api = await startTestApi(
        storage,
        { MQTT_EMBEDDED_PORT: '0', INGEST_INSTANCE_ID: instanceId },
        [IngestModule],
        shared,
      );
      ingest = api.app;
    } else {
      api = await startTestApi(storage, {}, [], shared);
      ingest = await startSeparateIngest();
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    if (ingest !== api.app) await ingest.close();
    await api.close();
    await database.dispose();
  });

  async function device() {
    const enrolled = await enrolDevice(api);
    const client = await connectDevice(
      ingest.get(IngestRuntime).brokerUrl!,
      enrolled.imei,
      enrolled.password,
    );
    clients.push(client);
    await client.subscribeAsync(`devices/${enrolled.imei}/errors`, { qos: 1 });
    return { ...enrolled, client };
  }

  it('serves the counters and the refused messages from the database, to administrators and auditors only', async () => {
    const tracker = await device();
    const { imei, client } = tracker;
    const publish = (body: string | object) =>
      client.publishAsync(`devices/${imei}/fixes`, typeof body === 'string' ? body : JSON.stringify(body), {
        qos: 1,
      });

    await publish({
      fixes: [fix(testTime(22, '10:00:00'), -12.6, -69.2), fix(testTime(22, '10:01:00'), -12.6, -69.2)],
    });
    const answer = nextMessage(client, `devices/${imei}/errors`);
    await publish('{"lat": -12.6, oops');
    expect(await answer).toMatchObject({ rejections: [expect.objectContaining({ reason: 'invalid_json' })] });
    // The test database is made to refuse one value: the message is kept whole and counted.
    await sql`alter table positions add constraint refuses_altitude_4321 check (altitude_m is distinct from 4321)`.execute(
      database.db,
    );
    try {
      await publish(fix(testTime(22, '10:02:00'), -12.6, -69.2, { altitude: 4321 }));
    } finally {
      await sql`alter table positions drop constraint refuses_altitude_4321`.execute(database.db);
    }
    expect(await storedPositions(api, imei)).toHaveLength(2);
    await ingest.get(IngestStatsRecorder).flush();

    const stats = await api.get('/v1/ingest/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      ingest: {
        // Messages committed; the refused one is counted as storage_refused.
        messages: 2,
        fixesStored: 2,
        rejections: { invalid_json: 1, storage_refused: 1 },
      },
      instances: 1,
    });
    expect(stats.body.embeddedBroker).toMatchObject({ connectionsAccepted: 1 });

    const instances = await api.get('/v1/ingest/instances');
    expect(instances.status).toBe(200);
    expect(instances.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
    expect(instances.body.items).toEqual([
      expect.objectContaining({
        instanceId,
        runs: 1,
        ingest: expect.objectContaining({
          fixesStored: 2,
          rejections: { invalid_json: 1, storage_refused: 1 },
        }),
      }),
    ]);

    const refused = await api.get(`/v1/ingest/refused?imei=${imei}&pageSize=10`);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ total: 1, pageSize: 10 });
    expect(refused.body.items[0]).toMatchObject({ imei, topic: `devices/${imei}/fixes`, sqlstate: '23514' });
    expect(JSON.parse(Buffer.from(refused.body.items[0].payloadBase64, 'base64').toString())).toMatchObject({
      altitude: 4321,
    });
    expect((await api.get('/v1/ingest/refused?imei=490154203237518')).body.total).toBe(0);

    const badPage = await api.get('/v1/ingest/refused?pageSize=0');
    expect(badPage.status).toBe(400);
    expect(JSON.stringify(badPage.body.errors)).toContain('pageSize');
    const badImei = await api.get('/v1/ingest/refused?imei=12');
    expect(badImei.status).toBe(400);
    expect(JSON.stringify(badImei.body.errors)).toContain('imei');
    expect((await api.get('/v1/ingest/instances?page=0')).status).toBe(400);

    const created = await api.post('/v1/users', {
      username: `clerk-${instanceId}`,
      displayName: 'Clerk',
      password: 'a-long-enough-password',
      role: 'registry_clerk',
    });
    expect(created.status).toBe(201);
    const clerk = await api.login(`clerk-${instanceId}`, 'a-long-enough-password');
    for (const route of ['/v1/ingest/stats', '/v1/ingest/instances', '/v1/ingest/refused'])
      expect([route, (await api.get(route, clerk)).status]).toEqual([route, 403]);
    // The read-only auditor sees what administrators see.
    const auditorCreated = await api.post('/v1/users', {
      username: `auditor-${instanceId}`,
      displayName: 'Auditor',
      password: 'a-long-enough-password',
      role: 'auditor',
    });
    expect(auditorCreated.status).toBe(201);
    const auditor = await api.login(`auditor-${instanceId}`, 'a-long-enough-password');
    expect((await api.get('/v1/ingest/stats', auditor)).body).toEqual(stats.body);
    for (const route of ['/v1/ingest/instances', '/v1/ingest/refused'])
      expect([route, (await api.get(route, auditor)).status]).toEqual([route, 200]);
    for (const route of ['/v1/ingest/stats', '/v1/ingest/refused'])
      expect([route, (await api.http().get(route)).status]).toEqual([route, 401]);
  });

  if (shape === 'registry API alone')
    it('keeps the counters of an ingest that stopped, and adds up its runs once it starts again', async () => {
      const before = (await api.get('/v1/ingest/stats')).body.ingest as {
        messages: number;
        fixesStored: number;
      };
      const tracker = await device();
      await tracker.client.publishAsync(
        `devices/${tracker.imei}/fixes`,
        JSON.stringify(fix(testTime(22, '11:00:00'), -12.6, -69.2)),
        { qos: 1 },
      );
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
      // Stopping writes the last counts; the registry API serves them with no ingest running.
      await ingest.close();
      const stopped = await api.get('/v1/ingest/stats');
      expect(stopped.body.ingest).toMatchObject({
        messages: before.messages + 1,
        fixesStored: before.fixesStored + 1,
      });

      ingest = await startSeparateIngest();
      const again = await device();
      await again.client.publishAsync(
        `devices/${again.imei}/fixes`,
        JSON.stringify(fix(testTime(22, '11:00:00'), -12.6, -69.2)),
        { qos: 1 },
      );
      await ingest.get(IngestStatsRecorder).flush();
      const stats = await api.get('/v1/ingest/stats');
      expect(stats.body.ingest).toMatchObject({
        messages: before.messages + 2,
        fixesStored: before.fixesStored + 2,
      });
      const instances = await api.get('/v1/ingest/instances');
      expect(instances.body.items).toEqual([expect.objectContaining({ instanceId, runs: 2 })]);
    });
});
