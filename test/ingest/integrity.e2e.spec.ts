import { MqttClient } from 'mqtt';
import { INTEGRITY_OBLIGATION } from '@app/integrity';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestPipeline } from '../../apps/ingest/src/ingest.pipeline';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { EnrolledDevice, connectDevice, enrolDevice, fix } from '../support/devices';
import { PersistentTestDatabase, persistentTestDatabase, storageModes } from '../support/storage';

const MIN = 60_000;
/** Laberinto, Madre de Dios. */
const MADRE_DE_DIOS = { lat: -12.72, lon: -69.59 };
/** Plaza San Martín, Lima: some 850 km away. */
const LIMA = { lat: -12.0514, lon: -77.0343 };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A sweep's platform time a while after the suites' fixes arrived: a tracker whose fixes are still arriving is
 * delivering its buffer, not silent, so the sweeps that should find a tracker dark run past its 15-minute limit.
 */
const LATER = 20 * MIN;

/** A stopped machine's fix `agoMs` before now reporting its external power cut. */
function powerCut(agoMs: number) {
  return fix(iso(Date.now() - agoMs), MADRE_DE_DIOS.lat, MADRE_DE_DIOS.lon, {
    speed: 0,
    externalVoltage: 0.4,
    events: ['power_cut'],
  });
}

/** Regular fixes a minute apart, the last one `endsAgoMs` before now, a few metres apart as GNSS scatters. */
function regular(count: number, endsAgoMs: number, extra: Record<string, unknown> = {}) {
  const end = Date.now() - endsAgoMs;
  return Array.from({ length: count }, (_, i) =>
    fix(
      iso(end - (count - 1 - i) * MIN),
      MADRE_DE_DIOS.lat + i * 0.00002,
      MADRE_DE_DIOS.lon + (i % 2) * 0.00002,
      {
        speed: 1.5,
        externalVoltage: 24.4,
        ...extra,
      },
    ),
  );
}

describe.each(storageModes())('integrity alerts from ingest (%s storage)', (storage) => {
  let persistent: PersistentTestDatabase;
  let api: TestApi;
  let url: string;
  const clients: MqttClient[] = [];

  async function start(): Promise<void> {
    api = await startTestApi(storage, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule], await persistent.open());
    url = api.app.get(IngestRuntime).brokerUrl!;
  }

  beforeAll(async () => {
    persistent = await persistentTestDatabase(storage);
    await start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await api.close();
    await persistent.dispose();
  });

  async function device(category = 'excavator'): Promise<{ tracker: EnrolledDevice; client: MqttClient }> {
    const tracker = await enrolDevice(api, category);
    const client = await connectDevice(url, tracker.imei, tracker.password);
    clients.push(client);
    return { tracker, client };
  }

  /** Publishes each fix as its own message, in order, waiting for each acknowledgement (= stored). */
  async function send(client: MqttClient, imei: string, fixes: readonly unknown[]): Promise<void> {
    for (const body of fixes)
      await client.publishAsync(`devices/${imei}/fixes`, JSON.stringify(body), { qos: 1 });
  }

  const integrityOf = (machineId: string) =>
    api.database.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('zone_kind', '=', 'integrity')
      .orderBy('created_at')
      .execute();
  const outboxOf = async (id: string) =>
    (
      await api.database.db
        .selectFrom('outbox_events')
        .select('type')
        .where('aggregate_id', '=', id)
        .orderBy('created_at')
        .execute()
    ).map((e) => e.type);

  it('a fix in Lima a minute after one in Madre de Dios opens one spoofing alert', async () => {
    const { tracker, client } = await device();
    const before = regular(4, 2 * MIN);
    const jumped = fix(iso(Date.now() - MIN), LIMA.lat, LIMA.lon, { speed: 2, externalVoltage: 24.4 });
    await send(client, tracker.imei, [...before, jumped]);

    const alerts = await integrityOf(tracker.machineId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule_id: 'integrity.spoofing',
      zone_id: 'integrity:spoofing',
      zone_kind: 'integrity',
      zone_name: 'Posición falseada',
      title: 'Posición falseada',
      title_en: 'Position spoofing',
      imei: tracker.imei,
      status: 'open',
    });
    expect(alerts[0]!.episode_id).toMatch(new RegExp(`^${tracker.imei}:integrity:\\d+$`));
    expect(alerts[0]!.legal_basis).toBe(INTEGRITY_OBLIGATION);
    expect(alerts[0]!.description).toMatch(/la posición saltó [\d,]+ km/);
    expect(alerts[0]!.description_en).toMatch(/the position jumped [\d.]+ km/);
    expect(JSON.stringify(alerts[0]!.confirming_fixes)).toContain(String(LIMA.lat));
    expect(await outboxOf(alerts[0]!.id)).toEqual(['integrity.opened']);
  });

  it('a power cut reported by the tracker opens a power-cut violation', async () => {
    const { tracker, client } = await device();
    const cut = powerCut(MIN);
    await send(client, tracker.imei, [...regular(4, 2 * MIN), cut]);

    const alerts = await integrityOf(tracker.machineId);
    expect(alerts.map((a) => [a.rule_id, a.severity, a.status])).toEqual([
      ['integrity.power_cut', 'violation', 'open'],
    ]);
    expect(alerts[0]!.zone_id).toBe('integrity:power_cut');
    expect(await outboxOf(alerts[0]!.id)).toEqual(['integrity.opened']);
  });

  it('inside a declared maintenance window the same power cut is a warning that names the window', async () => {
    const { tracker, client } = await device();
    const declared = await api.post(`/v1/machines/${tracker.machineId}/windows`, {
      kind: 'maintenance',
      from: iso(Date.now() - 60 * MIN),
      to: iso(Date.now() + 60 * MIN),
      reason: 'Wiring of the tracker replaced',
    });
    expect(declared.status).toBe(201);
    // Ingest learns which machines have windows in force at each sweep.
    await api.app.get(IngestPipeline).sweepIntegrity(Date.now());
    const cut = powerCut(MIN);
    await send(client, tracker.imei, [...regular(4, 2 * MIN), cut]);

    const alerts = await integrityOf(tracker.machineId);
    expect(alerts.map((a) => [a.rule_id, a.severity])).toEqual([['integrity.power_cut', 'warning']]);
    expect(alerts[0]!.description).toMatch(/rebajada: dentro del periodo declarado de mantenimiento/);
    expect(alerts[0]!.description_en).toMatch(/downgraded: inside the declared maintenance window/);
  });

  it('a tracker silent for hours goes dark at the sweep, and closes when it reports again', async () => {
    const { tracker, client } = await device();
    const beforeSilence = regular(3, 3 * 60 * MIN);
    await send(client, tracker.imei, beforeSilence);
    await client.publishAsync(
      `devices/${tracker.imei}/status`,
      JSON.stringify({ state: 'offline', reason: 'antenna unplugged' }),
      { qos: 1 },
    );
    expect(await integrityOf(tracker.machineId)).toEqual([]);
    // Just after the fixes arrived, it is delivering them, not dark.
    await api.app.get(IngestPipeline).sweepIntegrity(Date.now());
    expect(await integrityOf(tracker.machineId)).toEqual([]);

    await api.app.get(IngestPipeline).sweepIntegrity(Date.now() + LATER);
    const opened = await integrityOf(tracker.machineId);
    expect(opened.map((a) => [a.rule_id, a.zone_name, a.status])).toEqual([
      ['integrity.went_dark', 'Rastreador sin reportar', 'open'],
    ]);
    // Working at its last fix (ignition on, at walking pace): a violation.
    expect(opened[0]!.severity).toBe('violation');
    // Dark since the last fix before the silence.
    expect(opened[0]!.started_at.toISOString()).toBe(beforeSilence[2]!.time);
    const [event] = await api.database.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('aggregate_id', '=', opened[0]!.id)
      .execute();
    // The status message the tracker sent before it fell silent is quoted.
    expect(event!.payload).toMatchObject({
      id: opened[0]!.id,
      integrity: {
        kind: 'went_dark',
        details: { lastStatus: 'offline', lastStatusReason: 'antenna unplugged' },
      },
    });

    await send(client, tracker.imei, regular(1, 0));
    const closed = await integrityOf(tracker.machineId);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ id: opened[0]!.id, status: 'closed' });
    expect(await outboxOf(closed[0]!.id)).toEqual(['integrity.opened', 'integrity.closed']);
  });

  it('a few minutes of regular fixes, and a sweep after them, raise nothing', async () => {
    const { tracker, client } = await device();
    await send(client, tracker.imei, regular(6, 30_000));
    await api.app.get(IngestPipeline).sweepIntegrity(Date.now());
    expect(await integrityOf(tracker.machineId)).toEqual([]);
    const stored = await api.database.db
      .selectFrom('positions')
      .select('fix_time')
      .where('imei', '=', tracker.imei)
      .execute();
    expect(stored).toHaveLength(6);
  });

  it('a tracker that falls silent while ingest is down goes dark at a sweep after the restart', async () => {
    const { tracker, client } = await device();
    await send(client, tracker.imei, regular(3, 3 * 60 * MIN));

    // Ingest stops (its memory is gone) and starts again; the tracker never reports again.
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await api.close();
    await start();
    // The restarted ingest takes the recently reporting trackers over in the background; sweep until it has.
    const deadline = Date.now() + 15_000;
    let alerts = await integrityOf(tracker.machineId);
    while (alerts.length === 0 && Date.now() < deadline) {
      await api.app.get(IngestPipeline).sweepIntegrity(Date.now() + LATER);
      alerts = await integrityOf(tracker.machineId);
      if (alerts.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(alerts.map((a) => [a.rule_id, a.status])).toEqual([['integrity.went_dark', 'open']]);
  });

  it('after a restart the rebuilt state closes the alert opened before it, once', async () => {
    const { tracker, client } = await device();
    const cut = powerCut(2 * MIN);
    await send(client, tracker.imei, [...regular(4, 3 * MIN), cut]);
    const opened = await integrityOf(tracker.machineId);
    expect(opened.map((a) => [a.rule_id, a.status])).toEqual([['integrity.power_cut', 'open']]);

    // Ingest stops (its memory is gone) and starts again on the same database.
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await api.close();
    await start();
    const again = await connectDevice(url, tracker.imei, tracker.password);
    clients.push(again);
    await send(again, tracker.imei, [
      fix(iso(Date.now() - MIN), MADRE_DE_DIOS.lat, MADRE_DE_DIOS.lon, {
        speed: 0,
        externalVoltage: 24.3,
        events: ['power_restored'],
      }),
    ]);

    const alerts = await integrityOf(tracker.machineId);
    expect(alerts.map((a) => [a.id, a.status])).toEqual([[opened[0]!.id, 'closed']]);
    expect(await outboxOf(opened[0]!.id)).toEqual(['integrity.opened', 'integrity.closed']);
  });
});
