import { MqttClient } from 'mqtt';
import { hexPacket, TELTONIKA_SAMPLES } from '@app/telemetry/testing/fixtures';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { IngestStatsRecorder } from '../../apps/ingest/src/ingest-stats.recorder';
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
import { storageModes } from '../support/storage';
import { testTime } from '../support/test-time';

describe.each(storageModes())('device protocol on the embedded broker (%s storage)', (mode) => {
  let api: TestApi;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    url = api.app.get(IngestRuntime).brokerUrl!;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(() => api.close());

  async function device(imei: string, password: string) {
    const client = await connectDevice(url, imei, password);
    clients.push(client);
    return client;
  }

  const positionsOf = (imei: string) => storedPositions(api, imei);

  it('stores a single fix and a batch before acknowledging them, once each', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    await client.publishAsync(
      `devices/${tracker.imei}/fixes`,
      JSON.stringify(fix(testTime(20, '10:00:00'), -12.6, -69.2)),
      { qos: 1 },
    );
    // The PUBACK has arrived: the fix must already be in the database.
    expect((await positionsOf(tracker.imei)).map((p) => p.fix_time.toISOString())).toEqual([
      testTime(20, '10:00:00.000'),
    ]);

    const batch = {
      fixes: [
        fix(testTime(20, '10:01:00'), -12.61, -69.21),
        fix(testTime(20, '10:02:00'), -12.62, -69.22),
        fix(testTime(20, '10:00:00'), -12.6, -69.2),
      ],
    };
    await client.publishAsync(`devices/${tracker.imei}/fixes`, JSON.stringify(batch), { qos: 1 });
    await client.publishAsync(`devices/${tracker.imei}/fixes`, JSON.stringify(batch), { qos: 1 });
    const stored = await positionsOf(tracker.imei);
    expect(stored.map((p) => p.fix_time.toISOString())).toEqual([
      testTime(20, '10:00:00.000'),
      testTime(20, '10:01:00.000'),
      testTime(20, '10:02:00.000'),
    ]);
    expect(stored[1]).toMatchObject({
      lat: -12.61,
      lon: -69.21,
      source: 'json',
      trusted: true,
      ignition: true,
      satellites: 11,
    });
    expect(stored[1]!.h3_cell).toMatch(/^[0-9a-f]{15}$/);
    const raw = await api.database.db
      .selectFrom('device_messages')
      .select(['payload'])
      .where('id', '=', stored[1]!.message_id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(Buffer.from(raw.payload).toString('utf8'))).toEqual(batch);
  });

  it('flags a jump from the previous stored fix that no machine could make, and does not trust it', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    const topic = `devices/${tracker.imei}/fixes`;
    await client.publishAsync(topic, JSON.stringify(fix(testTime(20, '10:00:00'), -12.5934, -69.1898)), {
      qos: 1,
    });
    // One minute later in Lima, 850 km away.
    await client.publishAsync(topic, JSON.stringify(fix(testTime(20, '10:01:00'), -12.0464, -77.0428)), {
      qos: 1,
    });
    const stored = await positionsOf(tracker.imei);
    expect(stored.map((p) => [p.trusted, p.flags])).toEqual([
      [true, []],
      [false, ['impossible_speed']],
    ]);
  });

  it('stores the Teltonika Codec 8 and 8E sample packets', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    for (const hex of Object.values(TELTONIKA_SAMPLES)) {
      await client.publishAsync(`devices/${tracker.imei}/teltonika`, hexPacket(hex), { qos: 1 });
    }
    const stored = await positionsOf(tracker.imei);
    expect(stored.map((p) => [p.fix_time.toISOString(), p.lat, p.lon])).toEqual([
      ['2015-09-02T12:21:40.000Z', 25.6808615, 55.7956015],
      ['2019-01-04T12:27:19.000Z', 48.1523066, 16.3745183],
      ['2022-09-23T04:22:29.011Z', 54.70086, 25.25975],
    ]);
    expect(stored.every((p) => p.source === 'teltonika')).toBe(true);
  });

  it('answers garbage and bad fixes on the errors topic, keeps the good fixes beside them, and counts them', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    await client.subscribeAsync(`devices/${tracker.imei}/errors`, { qos: 1 });
    const garbage = nextMessage(client, `devices/${tracker.imei}/errors`);
    await client.publishAsync(`devices/${tracker.imei}/fixes`, '{"lat": -12.6, oops', { qos: 1 });
    expect(await garbage).toMatchObject({
      acceptedFixes: 0,
      rejections: [expect.objectContaining({ reason: 'invalid_json' })],
    });

    const mixed = nextMessage(client, `devices/${tracker.imei}/errors`);
    const batch = {
      fixes: [
        fix(testTime(20, '11:00:00'), -12.6, -69.2),
        { lat: -12.6, lon: -69.2 },
        fix(testTime(20, '11:01:00'), -12.6, -69.2),
      ],
    };
    await client.publishAsync(`devices/${tracker.imei}/fixes`, JSON.stringify(batch), { qos: 1 });
    expect(await mixed).toMatchObject({
      acceptedFixes: 2,
      rejections: [expect.objectContaining({ reason: 'missing_field', index: 1 })],
    });
    expect(await positionsOf(tracker.imei)).toHaveLength(2);

    const corrupt = Buffer.from(
      hexPacket(TELTONIKA_SAMPLES[Object.keys(TELTONIKA_SAMPLES)[0] as keyof typeof TELTONIKA_SAMPLES]),
    );
    corrupt[20] = corrupt[20]! ^ 0xff;
    const crc = nextMessage(client, `devices/${tracker.imei}/errors`);
    await client.publishAsync(`devices/${tracker.imei}/teltonika`, corrupt, { qos: 1 });
    expect(await crc).toMatchObject({ rejections: [expect.objectContaining({ reason: 'bad_crc' })] });

    await api.app.get(IngestStatsRecorder).flush();
    const stats = await api.get('/v1/ingest/stats');
    expect(stats.body.ingest.rejections.invalid_json).toBeGreaterThanOrEqual(1);
    expect(stats.body.ingest.rejections.bad_crc).toBeGreaterThanOrEqual(1);
  });

  it('refuses wrong and unknown credentials, and a client id that is not the IMEI', async () => {
    const tracker = await enrolDevice(api);
    expect(await connectionRefusal(url, tracker.imei, 'not-the-secret')).toMatch(/Bad username or password/i);
    expect(await connectionRefusal(url, '490154203237518', tracker.password)).toMatch(
      /Bad username or password/i,
    );
    expect(await connectionRefusal(url, tracker.imei, tracker.password, { clientId: 'some-client' })).toMatch(
      /Not authorized/i,
    );
    expect(api.app.get(IngestRuntime)).toBeDefined();
  });

  it('disconnects a device at once when its credentials are revoked or rotated, and refuses the old secret', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    const closed = closedByBroker(client);
    expect((await api.delete(`/v1/trackers/${tracker.trackerId}/credentials`)).status).toBe(200);
    await closed;
    expect(await connectionRefusal(url, tracker.imei, tracker.password)).toMatch(/Not authorized/i);

    const reissued = await api.post(`/v1/trackers/${tracker.trackerId}/credentials`);
    const again = await device(tracker.imei, reissued.body.password);
    const rotatedAway = closedByBroker(again);
    const rotated = await api.post(`/v1/trackers/${tracker.trackerId}/credentials`);
    await rotatedAway;
    expect(await connectionRefusal(url, tracker.imei, reissued.body.password)).toMatch(
      /Bad username or password/i,
    );
    await device(tracker.imei, rotated.body.password);
  });

  it('disconnects a device that publishes under another IMEI and stores nothing of it', async () => {
    const tracker = await enrolDevice(api);
    const victim = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    const closed = closedByBroker(client);
    client.publish(
      `devices/${victim.imei}/fixes`,
      JSON.stringify(fix(testTime(20, '12:00:00'), -12.6, -69.2)),
      { qos: 1 },
    );
    await closed;
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
      'agencies/FEMA/alerts',
    ]) {
      await expect(client.subscribeAsync(forbidden, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    }
    const granted = await client.subscribeAsync(
      [`devices/${tracker.imei}/errors`, `devices/${tracker.imei}/receipts`],
      { qos: 1 },
    );
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
  });

  it('receipts the stored fixes of each message after the commit, a re-sent one again, never a refused one', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    await client.subscribeAsync(`devices/${tracker.imei}/receipts`, { qos: 1 });
    const receipt = nextMessage(client, `devices/${tracker.imei}/receipts`);
    await client.publishAsync(
      `devices/${tracker.imei}/fixes`,
      JSON.stringify({
        fixes: [
          fix(testTime(20, '13:00:00'), -12.6, -69.2, { sequence: 10 }),
          { lat: -12.6, lon: -69.2, sequence: 11 },
          fix(testTime(20, '13:01:00'), -12.6, -69.2),
        ],
      }),
      { qos: 1 },
    );
    const first = await receipt;
    expect(first).toEqual({
      fixes: [
        { time: Date.parse(testTime(20, '13:00:00')), sequence: 10 },
        { time: Date.parse(testTime(20, '13:01:00')) },
      ],
    });
    // Every fix it names is stored by the time the receipt is sent.
    expect((await positionsOf(tracker.imei)).map((p) => p.fix_time.getTime())).toEqual(
      (first['fixes'] as { time: number }[]).map((f) => f.time),
    );

    const again = nextMessage(client, `devices/${tracker.imei}/receipts`);
    await client.publishAsync(
      `devices/${tracker.imei}/fixes`,
      JSON.stringify(fix(testTime(20, '13:00:00'), -12.6, -69.2, { sequence: 10 })),
      { qos: 1 },
    );
    expect(await again).toEqual({ fixes: [{ time: Date.parse(testTime(20, '13:00:00')), sequence: 10 }] });
    expect(await positionsOf(tracker.imei)).toHaveLength(2);
  });

  it('refuses trackers of decommissioned machines and trackers taken off their machine', async () => {
    const tracker = await enrolDevice(api);
    const client = await device(tracker.imei, tracker.password);
    const closed = closedByBroker(client);
    const response = await api.post(`/v1/machines/${tracker.machineId}/status`, {
      status: 'decommissioned',
      reason: 'scrapped after seizure',
    });
    expect(response.status).toBe(200);
    await closed;
    expect(await connectionRefusal(url, tracker.imei, tracker.password)).toMatch(/Not authorized/i);
    const history = await api.get(`/v1/machines/${tracker.machineId}/history`);
    expect(history.body.trackers[0].unbindReason).toBe('machine decommissioned: scrapped after seizure');
  });
});
