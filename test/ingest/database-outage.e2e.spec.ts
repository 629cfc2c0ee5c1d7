import { MqttClient } from 'mqtt';
import { openDatabase } from '@app/db';
import { IngestCounters } from '../../apps/ingest/src/ingest-counters';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { closedByBroker, connectDevice, enrolDevice, fix, storedPositions } from '../support/devices';
import { PersistentTestDatabase, persistentTestDatabase } from '../support/storage';
import { TcpProxy } from '../support/tcp-proxy';
import { testTime } from '../support/test-time';

// PostgreSQL itself going away: only the server mode has one.
// jest.config.js runs this suite only where DATABASE_URL is set.
const modes = ['postgres' as const];

describe.each(modes)('ingest while PostgreSQL is down (%s)', (mode) => {
  let persistent: PersistentTestDatabase;
  let proxy: TcpProxy;
  let api: TestApi;
  let client: MqttClient | undefined;

  beforeAll(async () => {
    persistent = await persistentTestDatabase(mode);
    const target = new URL(persistent.location);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(persistent.location);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const database = await openDatabase({ databaseUrl: viaProxy.toString(), poolSize: 3 });
    api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule], {
      ...database,
      dispose: () => database.close(),
    });
  });
  afterAll(async () => {
    await client?.endAsync(true);
    await api.close();
    await proxy.stop();
    await persistent.dispose();
  });

  it('acknowledges nothing while the database is down and stores everything once when it is back', async () => {
    const tracker = await enrolDevice(api);
    client = await connectDevice(api.app.get(IngestRuntime).brokerUrl!, tracker.imei, tracker.password, {
      reconnectPeriod: 300,
      // Firmware keeps trying when the broker answers "server unavailable" (it cannot check credentials either).
      reconnectOnConnackError: true,
      clean: false,
    });
    client.on('error', () => undefined);
    const topic = `devices/${tracker.imei}/fixes`;
    await client.publishAsync(topic, JSON.stringify(fix(testTime(25, '10:00:00'), -12.6, -69.2)), { qos: 1 });

    await proxy.cut();
    const counters = api.app.get(IngestCounters);
    const failuresBefore = counters.storageFailures;
    // A message ingest cannot store makes the broker drop the connection without its PUBACK: once ingest has
    // failed to store and the connection is closed, no acknowledgement of it can still be on its way.
    const dropped = closedByBroker(client, 30_000);
    const acknowledged: string[] = [];
    const during = [testTime(25, '10:01:00'), testTime(25, '10:02:00'), testTime(25, '10:03:00')].map((time) =>
      client!.publishAsync(topic, JSON.stringify(fix(time, -12.6, -69.2)), { qos: 1 }).then(() => {
        acknowledged.push(time);
      }),
    );
    await dropped;
    expect(counters.storageFailures).toBeGreaterThan(failuresBefore);
    expect(acknowledged).toEqual([]);

    await proxy.restore();
    await Promise.all(during);
    expect(acknowledged).toHaveLength(3);
    const stored = await storedPositions(api, tracker.imei);
    expect(stored.map((p) => p.fix_time.toISOString())).toEqual([
      testTime(25, '10:00:00.000'),
      testTime(25, '10:01:00.000'),
      testTime(25, '10:02:00.000'),
      testTime(25, '10:03:00.000'),
    ]);
  });
});
