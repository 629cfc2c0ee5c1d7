import { IngestTarget } from '@app/db';
import { TRACKER_TARGET_TTL_MS, TrackerTargets } from './tracker-targets';

const target = (machineId: string): IngestTarget => ({
  machine: { id: machineId, category: 'excavator', declaredUse: 'road_works' },
  intervalMovingSeconds: 30,
  intervalIgnitionOffSeconds: 300,
});

/** A registry of trackers to read targets from, counting what is read. */
function registry(initial: Record<string, string>) {
  const bound = new Map(Object.entries(initial));
  const reads: string[][] = [];
  let gate: Promise<void> | undefined;
  const read = async (imeis: readonly string[]) => {
    reads.push([...imeis]);
    const answer = new Map(
      imeis.flatMap((imei) => (bound.has(imei) ? [[imei, target(bound.get(imei)!)] as const] : [])),
    );
    await gate;
    return answer;
  };
  return { bound, reads, read, hold: (until: Promise<void>) => (gate = until) };
}

describe(TrackerTargets.name, () => {
  it('reads each tracker once while listening, and again after a change is notified', async () => {
    const r = registry({ a: 'm1', b: 'm2' });
    const targets = new TrackerTargets(r.read, 100);
    targets.listening();
    expect((await targets.of(['a', 'b', 'x'], 0)).get('a')?.machine?.id).toBe('m1');
    const again = await targets.of(['a', 'b', 'x'], 1000);
    expect([...again.keys()]).toEqual(['a', 'b']);
    expect(r.reads).toEqual([['a', 'b', 'x']]);
    r.bound.set('a', 'm3');
    targets.notified();
    expect((await targets.of(['a'], 2000)).get('a')?.machine?.id).toBe('m3');
    expect(r.reads).toHaveLength(2);
  });

  it('does not keep a read that began before a change was notified', async () => {
    const r = registry({ a: 'm1' });
    const targets = new TrackerTargets(r.read, 100);
    targets.listening();
    let release!: () => void;
    r.hold(new Promise<void>((resolve) => (release = resolve)));
    const reading = targets.of(['a'], 0);
    r.bound.set('a', 'm2');
    targets.notified();
    release();
    expect((await reading).get('a')?.machine?.id).toBe('m1');
    r.hold(Promise.resolve());
    expect((await targets.of(['a'], 1)).get('a')?.machine?.id).toBe('m2');
  });

  it('reads every time while not listening (before the first listen and after a loss)', async () => {
    const r = registry({ a: 'm1' });
    const targets = new TrackerTargets(r.read, 100);
    await targets.of(['a'], 0);
    await targets.of(['a'], 1);
    expect(r.reads).toHaveLength(2);
    targets.listening();
    await targets.of(['a'], 2);
    await targets.of(['a'], 3);
    expect(r.reads).toHaveLength(3);
    targets.lost();
    await targets.of(['a'], 4);
    await targets.of(['a'], 5);
    expect(r.reads).toHaveLength(5);
  });

  it('reads a target again once it is older than its time to live', async () => {
    const r = registry({ a: 'm1' });
    const targets = new TrackerTargets(r.read, 100);
    targets.listening();
    await targets.of(['a'], 0);
    await targets.of(['a'], TRACKER_TARGET_TTL_MS);
    expect(r.reads).toHaveLength(1);
    await targets.of(['a'], TRACKER_TARGET_TTL_MS + 1);
    expect(r.reads).toHaveLength(2);
  });

  it('keeps at most its capacity, dropping the least recently read', async () => {
    const r = registry({ a: 'm1', b: 'm2', c: 'm3' });
    const targets = new TrackerTargets(r.read, 2);
    targets.listening();
    await targets.of(['a'], 0);
    await targets.of(['b'], 0);
    await targets.of(['c'], 0);
    await targets.of(['b', 'c'], 0);
    expect(r.reads).toHaveLength(3);
    await targets.of(['a'], 0);
    expect(r.reads).toHaveLength(4);
  });
});
