import { AddressInfo } from 'node:net';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { ADMIN_PASSWORD, startTestApi, TestApi } from '../../test/support/api';
import { FleetStats, FleetTarget, launchDevice, RegistryClient, runScenario, SimulatedDevice } from './fleet';
import { main } from './main';
import { fixturePlaces } from '../../test/support/places';
import { Places } from './places';
import { buildScenario, ScenarioName } from './scenarios';

/** The whole app in-process (registry API, embedded broker, ingest): the simulator talks to it over the network. */
describe('fleet simulator against the registry API and the embedded broker', () => {
  let api: TestApi;
  let places: Places;
  let target: FleetTarget;
  let apiUrl: string;

  beforeAll(async () => {
    api = await startTestApi('embedded', { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    apiUrl = `http://127.0.0.1:${port}`;
    const registry = new RegistryClient(apiUrl);
    await registry.login('admin', ADMIN_PASSWORD);
    target = { registry, mqttUrl: api.app.get(IngestRuntime).brokerUrl!, stats: new FleetStats() };
    places = fixturePlaces();
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
    // The firmware kept every fix until the platform's receipt named it as stored; all were receipted.
    expect(device.firmware.receipts).toBe(true);
    expect(device.firmware.buffered).toBe(0);
    expect(device.firmware.resent).toBe(0);
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

  it('a tracker whose connection drops keeps its fixes, reconnects and flushes them: every fix stored once', async () => {
    const scenario = buildScenario('legal-corridor-work', places, { seed: 4, endMs: Date.now() - 60_000 });
    const device = await launchDevice(target, scenario.category, scenario.encoding, undefined, undefined, {
      reconnectDelayMs: 100,
    });
    try {
      for (const [i, step] of scenario.steps.entries()) {
        if (i === 20 || i === 45) await device.loseConnection();
        await device.tick(step);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await device.close();
    }
    expect(device.reconnects).toBe(2);
    expect(device.firmware.buffered).toBe(0);
    expect(device.acked).toHaveLength(scenario.steps.length);
    expect(device.acked.filter((f) => f.kind === 'backlog').length).toBeGreaterThanOrEqual(2);
    const rows = await stored(device.tracker.imei);
    expect(rows.map((r) => r.fix_time.toISOString()).sort()).toEqual(device.acked.map((f) => f.time).sort());
  });

  it('the command line runs a load of machines for a while and prints what was acknowledged', async () => {
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const before = await api.database.db
      .selectFrom('positions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    let code: number;
    try {
      code = await main([
        '--api',
        apiUrl,
        '--mqtt',
        target.mqttUrl,
        '--password',
        ADMIN_PASSWORD,
        '--machines',
        '4',
        '--interval',
        '0.2',
        '--duration',
        '2',
        '--seed',
        '5',
      ]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const text = out.join('');
    const acked = /fixes\s+(\d+) sent, (\d+) acknowledged/.exec(text);
    expect(acked).not.toBeNull();
    expect(Number(acked![2])).toBeGreaterThan(10);
    expect(acked![2]).toBe(acked![1]);
    const after = await api.database.db
      .selectFrom('positions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(Number(acked![2]));
  });

  it('the command line exits with 2 on bad arguments', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--password', 'x', '--machines', 'many', '--interval', '1'])).toBe(2);
      expect(write).toHaveBeenCalledWith(expect.stringContaining('--machines must be an integer'));
    } finally {
      write.mockRestore();
    }
  });
});
