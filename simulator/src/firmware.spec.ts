import { decodeTeltonika, receiptPayloads } from '@app/telemetry';
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
    const firmware = new TrackerFirmware(IMEI, 'json', { receipts: false });
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

  it('without receipts, keeps a batch in flash until acknowledged, and sends it again after a failure', () => {
    const firmware = new TrackerFirmware(IMEI, 'json', { maxBatch: 4, receipts: false });
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

  describe('with receipts (the default for JSON)', () => {
    const receiptOf = (fixes: readonly SimFix[]) =>
      receiptPayloads(fixes.map((f) => ({ time: Date.parse(f.time), sequence: f.sequence })))[0]!;

    it('keeps every fix, the live one too, until a receipt names it: a PUBACK alone deletes nothing', () => {
      const firmware = new TrackerFirmware(IMEI, 'json', { maxBatch: 4 });
      const [first, second, third] = ticks(3, (i) => i === 2);
      firmware.tick(first!);
      firmware.tick(second!);
      const live = firmware.tick(third!)!;
      const backlog = firmware.nextBacklog(0)!;
      expect(backlog.fixes.map((f) => f.sequence)).toEqual([0, 1]);
      firmware.acknowledge(live, 0);
      firmware.acknowledge(backlog, 0);
      expect(firmware.buffered).toBe(3);
      expect(firmware.awaitingReceipt).toBe(3);
      expect(firmware.nextBacklog(1000)).toBeUndefined();

      expect(firmware.receipt(receiptOf(backlog.fixes))).toBe(2);
      expect(firmware.receipt(receiptOf(backlog.fixes))).toBe(0);
      expect(firmware.buffered).toBe(1);
      expect(firmware.receipt(receiptOf(live.fixes))).toBe(1);
      expect(firmware.buffered).toBe(0);
    });

    it('sends a fix again when its receipt does not come in time, waiting twice as long each time', () => {
      const firmware = new TrackerFirmware(IMEI, 'json', { receiptTimeoutMs: 1000 });
      const live = firmware.tick(ticks(1, () => true)[0]!)!;
      firmware.acknowledge(live, 10_000);
      expect(firmware.nextResendAt()).toBe(11_000);
      expect(firmware.nextBacklog(10_999)).toBeUndefined();
      const again = firmware.nextBacklog(11_000)!;
      expect(again).toMatchObject({ kind: 'backlog', fixes: live.fixes });
      expect(firmware.resent).toBe(1);
      firmware.acknowledge(again, 11_000);
      // Sent twice: the next wait is 2 s.
      expect(firmware.nextResendAt()).toBe(13_000);
      expect(firmware.nextBacklog(12_999)).toBeUndefined();
      expect(firmware.nextBacklog(13_000)!.fixes).toEqual(live.fixes);
      expect(firmware.resent).toBe(2);
    });

    it('matches a receipt by device time and sequence, and takes one that comes before the PUBACK', () => {
      const firmware = new TrackerFirmware(IMEI, 'json');
      const live = firmware.tick(ticks(1, () => true)[0]!)!;
      const [fix] = live.fixes;
      expect(
        firmware.receipt({ fixes: [{ time: Date.parse(fix!.time), sequence: fix!.sequence + 1 }] }),
      ).toBe(0);
      expect(firmware.receipt({ fixes: [{ time: Date.parse(fix!.time) + 1 }] })).toBe(0);
      expect(firmware.receipt({ fixes: [{ time: Date.parse(fix!.time) }] })).toBe(1);
      firmware.acknowledge(live);
      expect(firmware.buffered).toBe(0);
      expect(firmware.nextResendAt()).toBeUndefined();
    });

    it('sends the fixes of a message that got no PUBACK again at once', () => {
      const firmware = new TrackerFirmware(IMEI, 'json');
      const live = firmware.tick(ticks(1, () => true)[0]!)!;
      firmware.failed(live);
      expect(firmware.buffered).toBe(1);
      expect(firmware.nextBacklog()!.fixes).toEqual(live.fixes);
      expect(firmware.resent).toBe(0);
    });
  });
});
