import { MqttClient } from 'mqtt';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestPipeline } from '../../apps/ingest/src/ingest.pipeline';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { connectDevice, enrolDevice, fix } from '../support/devices';
import { storageModes } from '../support/storage';
import {
  DispatcherInstance,
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  eventually,
  startDispatcher,
} from './support';

const MIN = 60_000;
/** Laberinto, Madre de Dios. */
const LABERINTO = { lat: -12.72, lon: -69.59 };

/**
 * A tracker out of coverage for three hours goes dark at the sweep; back in coverage it uploads its buffer, a fix
 * per message, oldest first, while the sweep keeps running: each sweep finds the silence shorter and revises the
 * alert, and the last buffered fix covers it: the alert is retracted. What each agency receives of that, through the whole product
 * (MQTT → ingest → outbox → dispatcher → webhook), is the proof that a backfill is no storm.
 */
describe.each(storageModes())('a backfilled dark period as agencies receive it (%s storage)', (storage) => {
  let api: TestApi;
  let client: MqttClient;
  let dispatcher: DispatcherInstance;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    api = await startTestApi(
      storage,
      { ...FAST_DISPATCH, DISPATCH_UPDATE_INTERVAL_SECONDS: '900', MQTT_EMBEDDED_PORT: '0' },
      [IngestModule],
    );
  });
  afterAll(async () => {
    await client?.endAsync(true);
    await dispatcher?.close();
    await Promise.all(receivers.map((r) => r.stop()));
    await api.close();
  });

  const fixAt = (at: number, i: number) =>
    fix(new Date(at).toISOString(), LABERINTO.lat + i * 0.00002, LABERINTO.lon + (i % 2) * 0.00002, {
      speed: 1.5,
      externalVoltage: 24.4,
    });

  it('gives each agency at most three deliveries: opened, a change of severity, retracted', async () => {
    const regional = await new Receiver().start();
    const oefa = await new Receiver().start();
    receivers.push(regional, oefa);
    await agencyWithWebhook(api, regional, { departments: ['MADRE DE DIOS'] }, 'regional_government');
    await agencyWithWebhook(api, oefa, { zoneKinds: ['integrity'] }, 'environmental_enforcement');
    const tracker = await enrolDevice(api, 'excavator', { department: 'MADRE DE DIOS' });
    client = await connectDevice(api.app.get(IngestRuntime).brokerUrl!, tracker.imei, tracker.password);
    const publish = async (body: unknown) =>
      client.publishAsync(`devices/${tracker.imei}/fixes`, JSON.stringify(body), { qos: 1 });

    // Working (ignition on, at walking pace) until three hours ago; then nothing reaches the platform.
    const silenceFrom = Date.now() - 3 * 60 * MIN;
    for (let i = 0; i < 3; i++) await publish(fixAt(silenceFrom - (2 - i) * MIN, i));
    dispatcher = await startDispatcher(api);
    // Sweeps run on a platform clock twenty minutes on: the fixes that arrived have been the last for longer than
    // the 15-minute limit (a tracker whose fixes are arriving is delivering, not dark).
    const sweep = () => api.app.get(IngestPipeline).sweepIntegrity(Date.now() + 20 * MIN);
    await sweep();
    const alert = await eventually(
      () =>
        api.database.db
          .selectFrom('violations')
          .selectAll()
          .where('imei', '=', tracker.imei)
          .where('rule_id', '=', 'integrity.went_dark')
          .executeTakeFirst(),
      'the went-dark alert',
    );
    const received = (r: Receiver) =>
      r
        .events()
        .filter((e) => e.subject === alert.id)
        .map((e) => e.type);
    for (const r of [regional, oefa])
      await eventually(() => received(r).includes('integrity.opened'), 'the opened event at each agency');

    // Back in coverage: the buffer, a fix every two minutes, oldest first, up to a minute ago.
    const buffered: number[] = [];
    for (let at = silenceFrom + 2 * MIN; at <= Date.now() - MIN; at += 2 * MIN) buffered.push(at);
    // The upload takes minutes on a real link, and the sweep runs every minute meanwhile: each one finds the
    // alert still open over a shorter silence and revises it.
    for (const [i, at] of buffered.entries()) {
      await publish(fixAt(at, i + 3));
      if (i % 10 === 9) await sweep();
    }

    const outbox = await api.database.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', alert.id)
      .orderBy('seq')
      .execute();
    // Ingest revised the alert many times over (the storm the dispatcher must not pass on) and retracted it.
    expect(outbox.filter((e) => e.type === 'integrity.updated').length).toBeGreaterThan(3);
    expect(outbox.at(-1)?.type).toBe('integrity.retracted');

    for (const r of [regional, oefa]) {
      await eventually(() => received(r).includes('integrity.retracted'), 'the retraction at each agency');
      const types = received(r);
      expect(types.length).toBeLessThanOrEqual(3);
      expect(types[0]).toBe('integrity.opened');
      expect(types.at(-1)).toBe('integrity.retracted');
      expect(types.filter((t) => t === 'integrity.updated').length).toBeLessThanOrEqual(1);
    }
  });
});
