import { MqttClient } from 'mqtt';
import { hexPacket, TELTONIKA_SAMPLES } from '@app/telemetry/testing/fixtures';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { TestApi, startTestApi } from '../support/api';
import {
  closedByBroker,
  connectDevice,
  connectionRefusal,
  enrolDevice,
  fix,
  nextMessage,
  storedPositions,
} from '../support/devices';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';
import { testTime } from '../support/test-time';

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

// Runs where the real services are configured (jest.config.js; CI sets MQTT_URL): the suite starts a Mosquitto
// of its own with the project's configuration and dynamic-security plugin, and the registry provisions devices.
describe('device protocol on Mosquitto with dynamic security', () => {
  let mosquitto: RunningMosquitto;
  let api: TestApi;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    api = await startTestApi(
      process.env['DATABASE_URL'] ? 'postgres' : 'embedded',
      {
        MQTT_URL: mosquitto.url,
        MQTT_USERNAME: mosquitto.adminUsername,
        MQTT_PASSWORD: mosquitto.adminPassword,
        BROKER_KIND: 'mosquitto',
      },
      [IngestModule],
    );
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await api.close();
    await mosquitto.stop();
  });

  async function device(imei: string, password: string, protocolVersion: 4 | 5 = 4) {
    const client = await connectDevice(mosquitto.url, imei, password, { protocolVersion });
    clients.push(client);
    return client;
  }
  const positionsOf = (imei: string) => storedPositions(api, imei);

  it.each([4, 5] as const)(
    'carries fixes, batches and Teltonika packets from a device on MQTT %s.x to storage',
    async (version) => {
      const tracker = await enrolDevice(api);
      const client = await device(tracker.imei, tracker.password, version);
      await client.publishAsync(
        `devices/${tracker.imei}/fixes`,
        JSON.stringify(fix(testTime(20, '10:00:00'), -12.6, -69.2)),
        { qos: 1 },
      );
      await client.publishAsync(
        `devices/${tracker.imei}/fixes`,
        JSON.stringify({
          fixes: [
            fix(testTime(20, '10:01:00'), -12.61, -69.21),
            fix(testTime(20, '10:02:00'), -12.62, -69.22),
          ],
        }),
        { qos: 1 },
      );
      await client.publishAsync(
        `devices/${tracker.imei}/teltonika`,
        hexPacket(TELTONIKA_SAMPLES.codec8ExtendedVilnius),
        { qos: 1 },
      );
      const stored = await eventually(
        () => positionsOf(tracker.imei),
        (rows) => rows.length >= 4,
      );
      expect(stored.map((p) => p.fix_time.toISOString())).toEqual([
        '2022-09-23T04:22:29.011Z',
        testTime(20, '10:00:00.000'),
        testTime(20, '10:01:00.000'),
        testTime(20, '10:02:00.000'),
      ]);
    },
  );

  it('refuses a wrong secret and an unknown tracker', async () => {
    const tracker = await enrolDevice(api);
    expect(await connectionRefusal(mosquitto.url, tracker.imei, 'wrong-secret')).toMatch(
      /not authori[sz]ed|bad user/i,
    );
    expect(await connectionRefusal(mosquitto.url, '490154203237518', tracker.password)).toMatch(
      /not authori[sz]ed|bad user/i,
    );
  });

  it('disconnects a device when its credentials are revoked and refuses the old secret', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    const closed = closedByBroker(client);
    expect((await api.delete(`/v1/trackers/${tracker.trackerId}/credentials`)).status).toBe(200);
    await closed;
    expect(await connectionRefusal(mosquitto.url, tracker.imei, tracker.password)).toMatch(
      /not authori[sz]ed|bad user/i,
    );
  });

  it('does not let a device publish under another IMEI or subscribe to others', async () => {
    const tracker = await enrolDevice(api);
    const victim = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password, 5);
    await expect(
      client.publishAsync(
        `devices/${victim.imei}/fixes`,
        JSON.stringify(fix(testTime(20, '12:00:00'), -12.6, -69.2)),
        { qos: 1 },
      ),
    ).rejects.toThrow(/not authori[sz]ed/i);
    // A later fix of the same device on its own topic, once stored, shows ingest has had what came before it.
    // It is sent on a new connection: on the one that was refused, mqtt.js does not complete a later publish.
    const again = await device(tracker.imei, tracker.password, 5);
    await again.publishAsync(
      `devices/${tracker.imei}/fixes`,
      JSON.stringify(fix(testTime(20, '12:01:00'), -12.6, -69.2)),
      { qos: 1 },
    );
    const own = await eventually(
      () => positionsOf(tracker.imei),
      (rows) => rows.length > 0,
    );
    expect(own.map((p) => p.fix_time.toISOString())).toEqual([testTime(20, '12:01:00.000')]);
    expect(await positionsOf(victim.imei)).toEqual([]);
  });

  it('refuses subscriptions to other devices and to wildcards', async () => {
    const tracker = await enrolDevice(api);
    const other = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    for (const forbidden of [
      'devices/+/errors',
      'devices/+/receipts',
      `devices/${other.imei}/receipts`,
      `devices/${other.imei}/errors`,
      `devices/${tracker.imei}/+`,
      'devices/#',
      `devices/${tracker.imei}/fixes`,
    ]) {
      await expect(client.subscribeAsync(forbidden, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    expect(
      (
        await client.subscribeAsync([`devices/${tracker.imei}/errors`, `devices/${tracker.imei}/receipts`], {
          qos: 1,
        })
      ).map((g) => g.qos),
    ).toEqual([1, 1]);
  });

  it('receipts stored fixes on the device topic, through the apps account (MQTT 5, with an expiry)', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password, 5);
    await client.subscribeAsync(`devices/${tracker.imei}/receipts`, { qos: 1 });
    const receipt = new Promise<{ payload: Record<string, unknown>; expiry: number | undefined }>((resolve) =>
      client.on('message', (topic, payload, packet) => {
        if (topic === `devices/${tracker.imei}/receipts`)
          resolve({
            payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
            expiry: packet.properties?.messageExpiryInterval,
          });
      }),
    );
    await client.publishAsync(
      `devices/${tracker.imei}/fixes`,
      JSON.stringify(fix(testTime(20, '14:00:00'), -12.6, -69.2, { sequence: 5 })),
      { qos: 1 },
    );
    const { payload, expiry } = await receipt;
    expect(payload).toEqual({ fixes: [{ time: Date.parse(testTime(20, '14:00:00')), sequence: 5 }] });
    expect(expiry).toBeGreaterThan(3500);
    expect(expiry).toBeLessThanOrEqual(3600);
    expect(await positionsOf(tracker.imei)).toHaveLength(1);
  });

  it('answers a garbage payload on the device errors topic', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    await client.subscribeAsync(`devices/${tracker.imei}/errors`, { qos: 1 });
    const answer = nextMessage(client, `devices/${tracker.imei}/errors`);
    await client.publishAsync(`devices/${tracker.imei}/fixes`, Buffer.from([0xff, 0xfe, 0x00, 0x01]), {
      qos: 1,
    });
    expect(await answer).toMatchObject({
      acceptedFixes: 0,
      rejections: [expect.objectContaining({ reason: 'invalid_encoding' })],
    });
  });
});
