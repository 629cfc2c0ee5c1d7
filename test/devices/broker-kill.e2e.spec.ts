import { sql } from 'kysely';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestCounters } from '../../apps/ingest/src/ingest-counters';
import { TickInput, TrackerFirmware } from '../../simulator/src/firmware';
import { FleetStats, SimulatedDevice } from '../../simulator/src/fleet';
import { Random } from '../../simulator/src/random';
import { standing, withGpsNoise } from '../../simulator/src/track';
import { TestApi, startTestApi } from '../support/api';
import { enrolDevice } from '../support/devices';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';

const TRACKERS = 10;
const TICKS = 300;
/** A PUBACKed fix waits this long for its receipt before the firmware sends it again. */
const RECEIPT_TIMEOUT_MS = 15_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A real Mosquitto of the suite's own (the project's configuration: persistence, autosave, dynamic security), ingest
// in process on its shared subscriptions, and simulated firmware that keeps each fix until its receipt. The broker
// is stopped mid-stream, cleanly or killed, and started again; the figures are printed for docs/reliability.md. jest.config.js runs this
// suite where the real services are configured (MQTT_URL: Mosquitto installed), as the other Mosquitto suites.
describe.each([
  ['restarted cleanly (SIGTERM)', 'SIGTERM' as const],
  ['killed (SIGKILL)', 'SIGKILL' as const],
])('Mosquitto %s under load, with end-to-end receipts', (_, signal) => {
  let mosquitto: RunningMosquitto;
  let api: TestApi;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    api = await startTestApi(
      process.env['DATABASE_URL'] ? 'postgres' : 'embedded',
      {
        MQTT_URL: mosquitto.url,
        MQTT_USERNAME: mosquitto.adminUsername,
        MQTT_PASSWORD: mosquitto.adminPassword,
        BROKER_KIND: 'mosquitto',
        INGEST_INSTANCE_ID: 'broker-kill-test',
      },
      [IngestModule],
    );
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close().catch(() => undefined)));
    await api.close();
    await mosquitto.stop();
  });

  const storedTimes = async (imei: string) =>
    new Set(
      (
        await api.database.db.selectFrom('positions').select('fix_time').where('imei', '=', imei).execute()
      ).map((r) => r.fix_time.getTime()),
    );
  const storedCount = async () =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from positions`.execute(api.database.db)).rows[0]?.n ??
        0,
    );

  it('loses no fix in the end: what the broker lost with its PUBACK is sent again for want of a receipt, and stored once', async () => {
    const stats = new FleetStats();
    const t0 = Date.now() - 3_600_000;
    for (let i = 0; i < TRACKERS; i++) {
      const enrolled = await enrolDevice(api);
      const firmware = new TrackerFirmware(enrolled.imei, 'json', { receiptTimeoutMs: RECEIPT_TIMEOUT_MS });
      const device = new SimulatedDevice({ ...enrolled, category: 'excavator' }, firmware, stats, {
        reconnectDelayMs: 200,
        ackTimeoutMs: 2000,
        drainTimeoutMs: 90_000,
      });
      await device.connect(mosquitto.url);
      expect(firmware.receipts).toBe(true);
      devices.push(device);
    }
    const inputs = (i: number): TickInput[] =>
      withGpsNoise(standing({ lat: -12.6 + i * 0.01, lon: -69.2 }, TICKS, 1, t0), new Random(i + 1), 0.9).map(
        (sample) => ({ sample, ignition: true, externalVoltage: 24.6, battery: 4.1, coverage: true }),
      );

    // Every tracker streams a fix every 5 ms (as fast as its PUBACKs come); the broker is killed a third of the
    // way in, once ingest has stored some, and started again once every tracker has seen its connection go.
    const started = Date.now();
    let ticked = 0;
    const streams = devices.map(async (device, i) => {
      for (const input of inputs(i)) {
        await device.tick(input);
        ticked++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await until(async () => (await storedCount()) >= (TRACKERS * TICKS) / 3, 'a third of the fixes stored');
    await mosquitto.kill(signal);
    const tickedAtStop = ticked;
    await until(() => stats.connected === 0, 'every tracker to notice the broker is gone');
    const stoppedAt = Date.now();
    await mosquitto.restart();
    const restartedAt = Date.now();
    await Promise.all(streams);
    const streamedAt = Date.now();
    // The broker went down mid-stream, and every tracker came back to it.
    expect(tickedAtStop).toBeLessThan((TRACKERS * TICKS * 2) / 3);
    expect(devices.every((d) => d.reconnects >= 1)).toBe(true);

    // Before any re-send falls due: what the trackers had PUBACKed (at least once) that is not stored is what the
    // broker lost after acknowledging it.
    const acked = devices.map((d) => new Set(d.acked.map((f) => Date.parse(f.time))));
    const firstResend = Math.min(...devices.map((d) => d.firmware.nextResendAt() ?? Infinity));
    await until(
      () => devices.every((d) => d.firmware.buffered === 0) || Date.now() >= firstResend - 500,
      'the receipts of what ingest stored, or the first re-send',
      RECEIPT_TIMEOUT_MS * 2,
    );
    let lostBeforeResend = 0;
    for (const [i, device] of devices.entries()) {
      const stored = await storedTimes(device.tracker.imei);
      for (const time of acked[i]!) if (!stored.has(time)) lostBeforeResend++;
    }

    // Each tracker re-sends what no receipt named, until every fix it took is receipted.
    const measuredAt = Date.now();
    const held = await Promise.all(devices.map((d) => d.drain(90_000, { reconnect: true })));
    const drainedAt = Date.now();
    expect(held).toEqual(devices.map(() => 0));

    let lostInEnd = 0;
    for (const [i, device] of devices.entries()) {
      const stored = await storedTimes(device.tracker.imei);
      for (const input of inputs(i)) if (!stored.has(input.sample.timeMs)) lostInEnd++;
    }
    const rows = await storedCount();
    const counters = api.app.get(IngestCounters).snapshot();
    const figures = {
      trackers: TRACKERS,
      fixesTaken: TRACKERS * TICKS,
      fixesSent: stats.fixesSent,
      fixesPubacked: acked.reduce((n, s) => n + s.size, 0),
      lostBeforeResend,
      resentForWantOfReceipt: stats.fixesResent,
      lostInEnd,
      rowsStored: rows,
      duplicatesRefusedByStore: counters.fixesDuplicate,
      seconds: {
        untilStopped: (stoppedAt - started) / 1000,
        restart: (restartedAt - stoppedAt) / 1000,
        streamEnd: (streamedAt - started) / 1000,
        measured: (measuredAt - started) / 1000,
        allReceipted: (drainedAt - started) / 1000,
      },
    };
    process.stdout.write(`broker ${signal} figures: ${JSON.stringify(figures)}\n`);
    expect(lostInEnd).toBe(0);
    // Stored exactly once: one row per fix taken, however often it was sent.
    expect(rows).toBe(TRACKERS * TICKS);
    expect(stats.fixesReceipted).toBeGreaterThanOrEqual(TRACKERS * TICKS);
  }, 240_000);
});
