import { MqttClient } from 'mqtt';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { connectDevice, enrolDevice } from '../support/devices';
import { storageModes } from '../support/storage';
import { TEST_RIVER, TEST_RIVER_MAPPING, minutes } from '../support/river';
import { testTime } from '../support/test-time';

describe.each(storageModes())('violations opened by ingest (%s storage)', (mode) => {
  let api: TestApi;
  let url: string;
  let client: MqttClient | undefined;

  beforeAll(async () => {
    api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    url = api.app.get(IngestRuntime).brokerUrl!;
    const imported = await api.post('/v1/zones/import', { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER });
    expect(imported.status).toBe(201);
  });
  afterEach(async () => {
    await client?.endAsync(true);
  });
  afterAll(() => api.close());

  /**
   * The rule verdicts of a machine. The dredge's track jumps 5.6 km onto the river in a minute, which the
   * integrity detectors also report (spoofing, see test/ingest/integrity.e2e.spec.ts); those alerts are left out.
   */
  const violationsOf = (machineId: string) =>
    api.database.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('zone_kind', '<>', 'integrity')
      .execute();
  const outboxOf = async (ids: string[]) =>
    ids.length === 0
      ? []
      : (
          await api.database.db
            .selectFrom('outbox_events')
            .select(['type', 'aggregate_id'])
            .where('aggregate_id', 'in', ids)
            .orderBy('created_at')
            .execute()
        ).map((e) => e.type);

  it('opens exactly one DL 1100 violation when a dredge moves onto the river, and closes it when it leaves', async () => {
    const dredge = await enrolDevice(api, 'dredge');
    client = await connectDevice(url, dredge.imei, dredge.password);
    const track = [
      ...minutes(testTime(20, '08:00:00'), 3, -12.8),
      ...minutes(testTime(20, '08:03:00'), 6, -12.8502),
      ...minutes(testTime(20, '08:09:00'), 5, -12.8),
    ];
    for (const point of track)
      await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify(point), { qos: 1 });
    // A resend of the river stretch (store-and-forward duplicates) must not open a second violation.
    await client.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify({ fixes: track.slice(3, 9) }), {
      qos: 1,
    });

    const violations = await violationsOf(dredge.machineId);
    expect(violations).toHaveLength(1);
    const violation = violations[0]!;
    expect(violation).toMatchObject({
      rule_id: 'dredge-in-water-body',
      severity: 'violation',
      zone_kind: 'water_body',
      zone_name: 'Río de Prueba',
      imei: dredge.imei,
      status: 'closed',
    });
    expect(violation.legal_basis).toMatch(/1100/);
    expect(violation.started_at.toISOString()).toBe(testTime(20, '08:03:00.000'));
    expect(violation.closed_at).not.toBeNull();
    expect((violation.confirming_fixes as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect(await outboxOf([violation.id])).toEqual(
      expect.arrayContaining(['violation.opened', 'violation.closed']),
    );
  });

  it('does not raise anything for an excavator working beside the river, nor for one transported across it', async () => {
    const excavator = await enrolDevice(api, 'excavator');
    client = await connectDevice(url, excavator.imei, excavator.password);
    for (const point of minutes(testTime(20, '09:00:00'), 8, -12.8)) {
      await client.publishAsync(`devices/${excavator.imei}/fixes`, JSON.stringify(point), { qos: 1 });
    }
    expect(await violationsOf(excavator.machineId)).toEqual([]);
  });
});
