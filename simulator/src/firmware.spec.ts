import { decodeTeltonika } from '@app/telemetry';
import { Outgoing, SimFix, TickInput, TrackerFirmware } from './firmware';
import { Random } from './random';
import { standing, withGpsNoise } from './track';

const IMEI = '356307042441013';

function ticks(
  count: number,
  coverage: (i: number) => boolean,
  startMs = Date.parse('2026-11-22T00:00:00Z'),
): TickInput[] {
  const samples = withGpsNoise(standing({ lat: -12.6, lon: -69.2 }, count, 60, startMs), new Random(3), 0.9);
  return samples.map((sample, i) => ({
    sample,
    ignition: true,
    externalVoltage: 24.6,
    battery: 4.1,
    coverage: coverage(i),
  }));
}

/** Runs the firmware as the fleet does: live fix first, then the backlog, every message acknowledged. */
function run(firmware: TrackerFirmware, inputs: TickInput[]): Outgoing[] {
  const sent: Outgoing[] = [];
  for (const input of inputs) {
    const live = firmware.tick(input);
    if (live) sent.push(live);
    if (!input.coverage) continue;
    for (let batch = firmware.nextBacklog(); batch; batch = firmware.nextBacklog()) {
      sent.push(batch);
      firmware.acknowledge(batch);
    }
  }
  return sent;
}

describe('TrackerFirmware', () => {
  it('buffers while out of coverage and flushes oldest first in batches of at most 500, after the live fix', () => {
    const firmware = new TrackerFirmware(IMEI, 'json');
    const inputs = ticks(1300, (i) => i < 10 || i >= 1210);
    const sent = run(firmware, inputs);
    const kinds = sent.map((m) => `${m.kind}:${m.fixes.length}`);
    expect(kinds.slice(10, 14)).toEqual(['live:1', 'backlog:500', 'backlog:500', 'backlog:200']);
    const backlog = sent.filter((m) => m.kind === 'backlog').flatMap((m) => m.fixes);
    expect(backlog.map((f) => f.sequence)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 10));
    const batch = JSON.parse(sent[11]!.payload.toString('utf8')) as { fixes: SimFix[] };
    expect(batch.fixes).toHaveLength(500);
    expect(batch.fixes[0]!.time).toBe('2026-11-22T00:10:00.000Z');
    const single = JSON.parse(sent[0]!.payload.toString('utf8')) as SimFix;
    expect(single).toMatchObject({
      time: '2026-11-22T00:00:00.000Z',
      sequence: 0,
      ignition: true,
      satellites: 10,
    });
    expect(firmware.buffered).toBe(0);
    // Every fix was sent exactly once.
    expect(new Set(sent.flatMap((m) => m.fixes.map((f) => f.time))).size).toBe(1300);
  });

  it('keeps a batch in flash until acknowledged, and sends it again after a failure', () => {
    const firmware = new TrackerFirmware(IMEI, 'json', { maxBatch: 4 });
    for (const input of ticks(6, () => false)) firmware.tick(input);
    const first = firmware.nextBacklog()!;
    const second = firmware.nextBacklog()!;
    expect(first.fixes.map((f) => f.sequence)).toEqual([0, 1, 2, 3]);
    expect(second.fixes.map((f) => f.sequence)).toEqual([4, 5]);
    expect(firmware.nextBacklog()).toBeUndefined();
    firmware.acknowledge(first);
    firmware.failed(second);
    expect(firmware.buffered).toBe(2);
    expect(firmware.nextBacklog()!.fixes.map((f) => f.sequence)).toEqual([4, 5]);
  });

  it('restarts its sequence on reboot and records nothing while off', () => {
    const firmware = new TrackerFirmware(IMEI, 'json');
    const inputs = ticks(6, () => true).map((input, i) => ({
      ...input,
      off: i === 2 || i === 3,
      reboot: i === 3,
    }));
    expect(run(firmware, inputs).map((m) => m.fixes[0]!.sequence)).toEqual([0, 1, 0, 1]);
  });

  it('encodes Teltonika AVL packets (at most 255 records) that decode back to the same fixes', () => {
    const firmware = new TrackerFirmware(IMEI, 'teltonika');
    const inputs = ticks(300, (i) => i >= 299).map((input, i) =>
      i === 5 ? { ...input, ignition: false, externalVoltage: 0, events: ['power_cut' as const] } : input,
    );
    const sent = run(firmware, inputs);
    expect(sent.map((m) => `${m.kind}:${m.fixes.length}`)).toEqual(['live:1', 'backlog:255', 'backlog:44']);
    expect(sent[0]!.topic).toBe(`devices/${IMEI}/teltonika`);
    const batch = sent[1]!;
    const decoded = decodeTeltonika(batch.payload, new Date());
    expect(decoded.rejections).toEqual([]);
    expect(decoded.fixes).toHaveLength(255);
    decoded.fixes.forEach((fix, i) => {
      const sentFix = batch.fixes[i]!;
      expect(new Date(fix.time).toISOString()).toBe(sentFix.time);
      expect(fix.lat).toBeCloseTo(sentFix.lat, 7);
      expect(fix.lon).toBeCloseTo(sentFix.lon, 7);
      expect(fix.hdop).toBe(sentFix.hdop);
      expect(fix.ignition).toBe(sentFix.ignition);
      expect(fix.externalVoltageV).toBe(sentFix.externalVoltage);
    });
    expect(decoded.fixes[5]).toMatchObject({ unplugged: true, events: ['unplug'] });
  });
});
