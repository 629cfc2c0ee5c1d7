import { AddressInfo } from 'node:net';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { ADMIN_PASSWORD, startTestApi, TestApi } from '../../test/support/api';
import { FleetStats, FleetTarget, RegistryClient, runScenario, SimulatedDevice } from './fleet';
import { loadPlaces, Places } from './places';
import { buildScenario, ScenarioName } from './scenarios';

/** The whole app in-process (registry API, embedded broker, ingest): the simulator talks to it over the network. */
describe('fleet simulator against the registry API and the embedded broker', () => {
  let api: TestApi;
  let places: Places;
  let target: FleetTarget;

  beforeAll(async () => {
    api = await startTestApi('embedded', { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    const registry = new RegistryClient(`http://127.0.0.1:${port}`);
    await registry.login('admin', ADMIN_PASSWORD);
    target = { registry, mqttUrl: api.app.get(IngestRuntime).brokerUrl!, stats: new FleetStats() };
    places = loadPlaces();
  });
  afterAll(() => api.close());

  const stored = (imei: string) =>
    api.database.db.selectFrom('positions').selectAll().where('imei', '=', imei).execute();

  async function run(name: ScenarioName, maxBatch?: number): Promise<SimulatedDevice> {
    const scenario = buildScenario(name, places, { seed: 3, endMs: Date.now() - 60_000 });
    return runScenario(scenario, target, maxBatch ? { maxBatch } : {});
  }

  it('dark-near-river (JSON): every acknowledged fix is stored once; the backlog arrives late, in batches, out of order', async () => {
    const device = await run('dark-near-river', 8);
    const scenario = buildScenario('dark-near-river', places, { seed: 3 });
    const machine = await api.get(`/v1/machines/${device.tracker.machineId}`);
    expect(machine.body).toMatchObject({ category: 'excavator', status: 'active' });

    const rows = await stored(device.tracker.imei);
    expect(rows).toHaveLength(device.acked.length);
    expect(device.acked).toHaveLength(scenario.steps.length);
    expect(new Set(rows.map((r) => r.fix_time.toISOString()))).toEqual(
      new Set(device.acked.map((f) => f.time)),
    );
    for (const fix of device.acked) {
      const row = rows.find((r) => r.fix_time.toISOString() === fix.time)!;
      expect(row).toMatchObject({ lat: fix.lat, lon: fix.lon, source: 'json', hdop: fix.hdop });
      expect(Number(row.sequence)).toBe(fix.sequence);
    }

    // The live fix that ended the gap reached the platform before the backlog, which came in batches of at
    // most 8, oldest first: later arrival, earlier fix time.
    const backlog = device.acked.filter((f) => f.kind === 'backlog');
    expect(backlog.length).toBeGreaterThan(20);
    const firstBacklog = device.acked.findIndex((f) => f.kind === 'backlog');
    const gapEnd = device.acked[firstBacklog - 1]!;
    expect(gapEnd.kind).toBe('live');
    expect(gapEnd.time > backlog[backlog.length - 1]!.time).toBe(true);
    expect(backlog.map((f) => f.time)).toEqual([...backlog.map((f) => f.time)].sort());
    const gapEndRow = rows.find((r) => r.fix_time.toISOString() === gapEnd.time)!;
    const backlogRows = rows.filter((r) => backlog.some((f) => f.time === r.fix_time.toISOString()));
    expect(backlogRows).toHaveLength(backlog.length);
    for (const row of backlogRows) {
      expect(row.received_at.getTime()).toBeGreaterThanOrEqual(gapEndRow.received_at.getTime());
      expect(row.fix_time.getTime()).toBeLessThan(gapEndRow.fix_time.getTime());
      expect(row.received_at.getTime() - row.fix_time.getTime()).toBeGreaterThan(60_000);
    }
    expect(new Set(backlogRows.map((r) => r.message_id)).size).toBe(Math.ceil(backlog.length / 8));
  });

  it('truck-interoceanica (Teltonika): packets are stored once each, with the flushed stretch through the buffer zone', async () => {
    const device = await run('truck-interoceanica');
    const rows = await stored(device.tracker.imei);
    expect(rows).toHaveLength(device.acked.length);
    expect(rows.every((r) => r.source === 'teltonika')).toBe(true);
    expect(new Set(rows.map((r) => r.fix_time.toISOString()))).toEqual(
      new Set(device.acked.map((f) => f.time)),
    );
    expect(device.acked.filter((f) => f.kind === 'backlog').length).toBeGreaterThan(50);
    expect(rows.every((r) => r.ignition === false)).toBe(true);
  });

  it('spoofed-jump: the one fix in Lima is stored with its neighbours at the mining site', async () => {
    const device = await run('spoofed-jump');
    const rows = (await stored(device.tracker.imei)).sort(
      (a, b) => a.fix_time.getTime() - b.fix_time.getTime(),
    );
    expect(rows).toHaveLength(31);
    expect(rows.filter((r) => r.lon < -76).map((r) => rows.indexOf(r))).toEqual([15]);
    expect(target.stats.fixesAcked).toBe(target.stats.fixesSent);
    expect(target.stats.failures).toBe(0);
  });
});
