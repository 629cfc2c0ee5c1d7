import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { ViolationRow } from '@app/db';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { ZoneCatalogueService } from '@app/zones';
import {
  FleetStats,
  FleetTarget,
  RegistryClient,
  runScenario,
  SimulatedDevice,
} from '../../simulator/src/fleet';
import { ZONES } from '../../simulator/src/places';
import { buildScenario, SCENARIO_NAMES, ScenarioName } from '../../simulator/src/scenarios';
import { AgencySetup, FAST_DISPATCH, Receiver, agencyWithWebhook, eventually } from '../dispatch/support';
import { ADMIN_PASSWORD, TestApi, startTestApi } from '../support/api';
import { fixturePlaces } from '../support/places';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';

/**
 * Every named scenario of the fleet simulator against the whole product (registry API, broker, ingest, rules,
 * integrity, dispatcher) over the default Peru catalogue: the simulator enrols its machines through the API and
 * its trackers publish over MQTT, as in `npm start`. Always on the embedded services; also on PostgreSQL, Redis
 * and a Mosquitto of the suite's own where DATABASE_URL, REDIS_URL and MQTT_URL are set (as on CI).
 */
type Services = 'embedded' | 'postgres, redis, mosquitto';
const services: Services[] =
  process.env['DATABASE_URL'] && process.env['REDIS_URL'] && process.env['MQTT_URL']
    ? ['embedded', 'postgres, redis, mosquitto']
    : ['embedded'];

const SEED = 7;
/** Integrity alerts may be raised by a periodic sweep after the last fix, so they are waited for. */
const INTEGRITY_WAIT_MS = 20_000;

describe.each(services)('simulator scenarios against the product (%s)', (mode) => {
  let mosquitto: RunningMosquitto | undefined;
  let api: TestApi;
  let receiver: Receiver;
  let waterAgency: AgencySetup;
  const devices = new Map<ScenarioName, SimulatedDevice>();
  const redisPrefix = `centinela-scenarios-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    const external = mode !== 'embedded';
    if (external) mosquitto = await startMosquitto();
    api = await startTestApi(
      external ? 'postgres' : 'embedded',
      {
        ...FAST_DISPATCH,
        ZONE_CATALOGUE_SEED: 'default',
        MQTT_EMBEDDED_PORT: '0',
        ...(mosquitto
          ? {
              MQTT_URL: mosquitto.url,
              MQTT_USERNAME: mosquitto.adminUsername,
              MQTT_PASSWORD: mosquitto.adminPassword,
              BROKER_KIND: 'mosquitto',
              REDIS_URL: process.env['REDIS_URL'] as string,
              REDIS_KEY_PREFIX: redisPrefix,
            }
          : {}),
      },
      [IngestModule, DispatcherModule],
    );
    await api.app.get(ZoneCatalogueService).ready();
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    receiver = await new Receiver().start();
    waterAgency = await agencyWithWebhook(api, receiver, { zoneKinds: ['water_body'] }, 'water');

    const registry = new RegistryClient(`http://127.0.0.1:${port}`);
    await registry.login('admin', ADMIN_PASSWORD);
    const mqttUrl = mosquitto?.url ?? api.app.get(IngestRuntime).brokerUrl;
    if (!mqttUrl) throw new Error('no broker');
    const target: FleetTarget = { registry, mqttUrl, stats: new FleetStats() };
    const places = fixturePlaces();
    const endMs = Date.now() - 60_000;
    // The machines are independent: their trackers report at the same time, as a fleet does.
    await Promise.all(
      SCENARIO_NAMES.map(async (name) => {
        const scenario = buildScenario(name, places, { seed: SEED, endMs });
        devices.set(name, await runScenario(scenario, target));
      }),
    );
    expect(target.stats.failures).toBe(0);
    expect(target.stats.fixesAcked).toBe(target.stats.fixesSent);
    // The embedded broker acknowledges a message once ingest committed it; Mosquitto acknowledges on receipt
    // and ingest consumes it just after, so the fixes are waited for before anything is judged.
    await eventually(
      async () => {
        for (const device of devices.values())
          if ((await storedFixTimes(device)).length < device.acked.length) return false;
        return true;
      },
      'every acknowledged fix stored',
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    await receiver?.stop();
    await api?.close();
    await mosquitto?.stop();
    if (mode !== 'embedded') {
      const redis = new Redis(process.env['REDIS_URL'] as string);
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const storedFixTimes = async (device: SimulatedDevice): Promise<Date[]> =>
    (
      await api.database.db
        .selectFrom('positions')
        .select('fix_time')
        .where('imei', '=', device.tracker.imei)
        .execute()
    ).map((r) => r.fix_time);

  const machineOf = (name: ScenarioName): string => {
    const device = devices.get(name);
    if (!device) throw new Error(`${name} did not run`);
    return device.tracker.machineId;
  };

  const violationsOf = (name: ScenarioName): Promise<ViolationRow[]> =>
    api.database.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineOf(name))
      .orderBy('started_at')
      .execute();

  /** The rule verdicts (zone violations and warnings), leaving out tracker integrity alerts. */
  const zoneVerdicts = async (name: ScenarioName) =>
    (await violationsOf(name))
      .filter((v) => v.zone_kind !== 'integrity')
      .map((v) => ({ rule: v.rule_id, zone: v.zone_id, severity: v.severity }));

  const integrityKinds = async (name: ScenarioName): Promise<string[]> =>
    [
      ...new Set(
        (await violationsOf(name))
          .filter((v) => v.zone_kind === 'integrity')
          .map((v) => v.rule_id.replace(/^integrity\./, '')),
      ),
    ].sort();

  const awaitIntegrity = (name: ScenarioName, kind: string) =>
    eventually(
      async () => (await integrityKinds(name)).includes(kind) && integrityKinds(name),
      `an integrity.${kind} alert for ${name}`,
      INTEGRITY_WAIT_MS,
    );

  it('every fix of every scenario is stored once', async () => {
    for (const [name, device] of devices) {
      const times = (await storedFixTimes(device)).map((t) => t.toISOString()).sort();
      expect({ name, times }).toEqual({ name, times: device.acked.map((f) => f.time).sort() });
    }
  });

  /** The dredge's violation of D.L. 1100 on the Madre de Dios river. */
  const onTheRiver = async (): Promise<ViolationRow | undefined> =>
    (await violationsOf('dredge-onto-river')).find(
      (v) => v.rule_id === 'dredge-in-water-body' && v.zone_id === ZONES.madreDeDios,
    );

  it('dredge-onto-river: a D.L. 1100 violation on the Madre de Dios, still open while the dredge works on it', async () => {
    expect(await onTheRiver()).toMatchObject({
      zone_kind: 'water_body',
      zone_name: 'Río Madre de Dios',
      severity: 'violation',
      status: 'open',
    });
  });

  it('dredge-onto-river and dark-near-river: the zones they are reported in name the Madre de Dios, never the Manu or the Inambari', async () => {
    const names = async (name: ScenarioName) =>
      (await violationsOf(name)).filter((v) => v.zone_kind === 'water_body').map((v) => v.zone_name);
    const dredge = await names('dredge-onto-river');
    expect(dredge).toContain('Río Madre de Dios');
    for (const zoneName of [...dredge, ...(await names('dark-near-river'))]) {
      expect(zoneName).toMatch(
        /^(Río Madre de Dios|cuerpo de agua de la capa regional de ríos, cerca del Río Madre de Dios)$/,
      );
    }
  });

  it('dredge-onto-river: the water agency receives violation.opened on its webhook, signed', async () => {
    const violation = await onTheRiver();
    expect(violation).toBeDefined();
    const event = await eventually(
      () => receiver.events().find((e) => e.type === 'violation.opened' && e.subject === violation?.id),
      'violation.opened on the webhook',
    );
    expect(event.data).toMatchObject({
      ruleId: 'dredge-in-water-body',
      zone: { id: ZONES.madreDeDios, kind: 'water_body' },
      department: 'MADRE DE DIOS',
    });
    expect(receiver.verifiedIds(waterAgency.secret).has(event.id)).toBe(true);
    // The agency subscribed to water bodies only: no other alert of the scenarios reaches it. The dispatcher marks
    // an event published in the transaction that writes its deliveries, so once every alert event so far is, a
    // delivery of another alert to the agency would be there.
    await eventually(
      async () =>
        (
          await api.database.db
            .selectFrom('outbox_events')
            .select('id')
            .where('aggregate_type', '=', 'violation')
            .where('published_at', 'is', null)
            .execute()
        ).length === 0,
      'every alert event routed',
    );
    const otherAlerts = new Set(
      (
        await api.database.db
          .selectFrom('violations')
          .select('id')
          .where('zone_kind', '<>', 'water_body')
          .execute()
      ).map((v) => v.id),
    );
    const misrouted = (
      await api.database.db
        .selectFrom('deliveries')
        .select(['violation_id', 'event_type'])
        .where('agency_id', '=', waterAgency.id)
        .execute()
    ).filter((d) => otherAlerts.has(d.violation_id));
    expect(misrouted).toEqual([]);
    const subjects = new Set(receiver.events().map((e) => e.subject));
    const others = (
      await api.database.db
        .selectFrom('violations')
        .select(['id', 'zone_kind'])
        .where('zone_kind', '<>', 'water_body')
        .execute()
    ).filter((v) => subjects.has(v.id));
    expect(others).toEqual([]);
  });

  it('excavator-enters-tambopata: a protected-area violation in the Tambopata National Reserve', async () => {
    const verdicts = await zoneVerdicts('excavator-enters-tambopata');
    expect(verdicts).toContainEqual({
      rule: 'operating-in-protected-area',
      zone: ZONES.tambopata,
      severity: 'violation',
    });
    // Working north of the reserve it was outside the mining corridor too (D.U. 012-2010, Madre de Dios).
    expect(verdicts).toContainEqual({
      rule: 'operating-outside-mining-corridor',
      zone: expect.stringMatching(/^dep-/),
      severity: 'violation',
    });
  });

  it('legal-corridor-work: work inside the mining corridor raises no alert', async () => {
    expect(await zoneVerdicts('legal-corridor-work')).toEqual([]);
    expect(await integrityKinds('legal-corridor-work')).toEqual([]);
  });

  it('truck-interoceanica: carried through the buffer zone, no violation and no warning of the zone rules', async () => {
    expect(await zoneVerdicts('truck-interoceanica')).toEqual([]);
    // The tracker reports it is being towed (a tamper warning of its own); nothing says it went dark or lied.
    expect((await integrityKinds('truck-interoceanica')).filter((kind) => kind !== 'tamper')).toEqual([]);
  });

  it('boundary-jitter: GPS noise across the reserve boundary opens nothing', async () => {
    expect(await violationsOf('boundary-jitter')).toEqual([]);
  });

  it('dark-near-river: went dark, retracted once the flushed flash covers the silence; no zone verdict for the excavator', async () => {
    const wentDark = async () =>
      (await violationsOf('dark-near-river')).filter((v) => v.rule_id === 'integrity.went_dark');
    if (mode === 'embedded') {
      // The embedded broker acknowledges the live fix after its commit, so it reaches ingest before the flash:
      // the silence is seen (went dark), then covered by the buffered fixes (retracted).
      await awaitIntegrity('dark-near-river', 'went_dark');
      const rows = await eventually(
        async () => ((await wentDark()).every((v) => v.status === 'retracted') ? wentDark() : undefined),
        'the went-dark alert retracted',
        INTEGRITY_WAIT_MS,
      );
      expect(rows.map((v) => v.status)).toEqual(['retracted']);
    } else {
      // Mosquitto acknowledges on receipt and the flash follows at once, so it may reach ingest before the live
      // fix; then the silence is covered before it is seen. Either way no went-dark alert stands. Every fix of the
      // scenario is stored (waited for before the tests), and an alert is written in its fix's transaction.
      expect((await wentDark()).filter((v) => v.status !== 'retracted')).toEqual([]);
    }
    expect(await zoneVerdicts('dark-near-river')).toEqual([]);
  });

  it('power-cut: a power-cut integrity alert', async () => {
    expect(await awaitIntegrity('power-cut', 'power_cut')).toContain('power_cut');
    expect(await zoneVerdicts('power-cut')).toEqual([]);
  });

  it('spoofed-jump: a spoofing integrity alert; the one fix in Lima confirms no zone', async () => {
    expect(await awaitIntegrity('spoofed-jump', 'spoofing')).toContain('spoofing');
    expect(await zoneVerdicts('spoofed-jump')).toEqual([]);
  });

  it('integrity alerts are rows of the violations table with their own rule and zone ids', async () => {
    const rows = (await violationsOf('spoofed-jump')).filter((v) => v.zone_kind === 'integrity');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.zone_id).toBe(`integrity:${row.rule_id.replace(/^integrity\./, '')}`);
  });
});
