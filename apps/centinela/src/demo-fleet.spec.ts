import { AddressInfo } from 'node:net';
import { IngestModule } from '../../ingest/src/ingest.module';
import { IngestRuntime } from '../../ingest/src/ingest.runtime';
import { ADMIN_PASSWORD, startTestApi, TestApi } from '../../../test/support/api';
import { fixturePlaces } from '../../../test/support/places';
import { FleetStats, RegistryClient } from '../../../simulator/src/fleet';
import { SCENARIO_NAMES } from '../../../simulator/src/scenarios';
import { DEMO_AGENCIES, setUpDemoAgencies } from './demo-agencies';
import { DemoFleet, DemoMachine } from './demo-fleet';
import { DemoWebhookReceiver } from './demo-webhooks';

/** The demo's fleet and agencies against the registry API and embedded broker, over the network. */
describe('the demo against the product', () => {
  let api: TestApi;
  let registry: RegistryClient;

  beforeAll(async () => {
    api = await startTestApi('embedded', { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    registry = new RegistryClient(`http://127.0.0.1:${port}`);
    await registry.login('admin', ADMIN_PASSWORD);
  });
  afterAll(() => api.close());

  it('plays every scenario with its own machine, every fix in the past, then keeps the machines reporting, parked', async () => {
    const machines = new Map<string, DemoMachine>();
    let rounds = 0;
    const fleet = new DemoFleet(
      { registry, mqttUrl: api.app.get(IngestRuntime).brokerUrl!, stats: new FleetStats() },
      fixturePlaces(),
      {
        roundStarted: () => rounds++,
        machineChanged: (m) => machines.set(m.scenario.name, m),
      },
      () => registry.login('admin', ADMIN_PASSWORD),
      {
        staggerMs: 50,
        restMs: 600_000,
        busyRounds: 1,
        laterRestMs: 600_000,
        parkedReportMs: 1000,
      },
    );
    const startedAt = Date.now();
    let endedAt: number;
    let imeis: string[];
    let rows: Array<{ imei: string; fix_time: Date; received_at: Date; ignition: boolean | null }>;
    fleet.start();
    try {
      // The whole product and the fleet share this process: on a busy machine the rounds take a while.
      const deadline = Date.now() + 150_000;
      while ([...machines.values()].filter((m) => m.state === 'done').length < SCENARIO_NAMES.length) {
        const failed = [...machines.values()].find((m) => m.state === 'failed');
        if (failed) throw new Error(`${failed.scenario.name} failed: ${failed.error}`);
        if (Date.now() > deadline)
          throw new Error(
            `not done: ${JSON.stringify([...machines.values()].map((m) => [m.scenario.name, m.state]))}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      endedAt = Date.now();
      imeis = [...machines.values()].map((m) => m.device!.tracker.imei);
      const storedRows = () =>
        api.database.db
          .selectFrom('positions')
          .select(['imei', 'fix_time', 'received_at', 'ignition'])
          .where('imei', 'in', imeis)
          .execute();
      // Parked machines report again, engine off, after their scenario: wait until each one's report is stored.
      const parkedDeadline = Date.now() + 20_000;
      rows = await storedRows();
      while (
        !imeis.every((imei) => rows.some((r) => r.imei === imei && r.fix_time.getTime() > endedAt - 1))
      ) {
        if (Date.now() > parkedDeadline) throw new Error('not every parked machine reported');
        await new Promise((resolve) => setTimeout(resolve, 100));
        rows = await storedRows();
      }
    } finally {
      await fleet.stop();
    }
    expect(new Set(imeis).size).toBe(SCENARIO_NAMES.length);
    expect(rounds).toBe(1);

    for (const row of rows) expect(row.fix_time.getTime()).toBeLessThanOrEqual(row.received_at.getTime());
    for (const [name, machine] of machines) {
      const own = rows.filter((r) => r.imei === machine.device!.tracker.imei);
      const after = own.filter((r) => r.fix_time.getTime() > endedAt - 1);
      expect({ name, ticks: machine.ticks }).toEqual({ name, ticks: machine.scenario.steps.length });
      expect({ name, parkedReports: after.length > 0 }).toEqual({ name, parkedReports: true });
      expect(after.every((r) => r.ignition === false)).toBe(true);
    }
    expect(Math.min(...rows.map((r) => r.fix_time.getTime()))).toBeLessThan(startedAt - 3600_000);
  }, 240_000);

  it('creates the demo agencies once, and on a later start moves their webhooks to the new receiver', async () => {
    const first = await new DemoWebhookReceiver().start();
    const second = await new DemoWebhookReceiver().start();
    try {
      const created = await setUpDemoAgencies(registry, first);
      expect(created.created).toEqual(DEMO_AGENCIES.map((a) => a.code));
      const again = await setUpDemoAgencies(registry, second);
      expect(again.created).toEqual([]);
      expect(again.others).toEqual([]);
      expect([...again.receiving].sort()).toEqual([...created.created].sort());
      const agencies = (await api.get('/v1/agencies')).body as Array<{ id: string; code: string }>;
      const fema = agencies.find((a) => a.code === 'FEMA-MDD')!;
      const channels = (await api.get(`/v1/agencies/${fema.id}/channels`)).body as Array<{
        url: string;
        active: boolean;
      }>;
      expect(channels.filter((c) => c.active).map((c) => c.url)).toEqual([second.urlFor('FEMA-MDD')]);
      const subscriptions = (await api.get(`/v1/agencies/${fema.id}/subscriptions`)).body as unknown[];
      expect(subscriptions).toEqual([
        expect.objectContaining({ departments: ['MADRE DE DIOS'], severities: ['violation'] }),
      ]);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
