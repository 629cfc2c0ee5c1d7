import { Lanes, laneOfImei } from './lanes';

/** A lane work recording its batches; `fail` decides which batches throw, `keep` which failed items are settled anyway. */
function recording(
  fail: (batch: readonly string[]) => boolean,
  keep: (item: string) => boolean = () => false,
) {
  const batches: string[][] = [];
  const settled: string[] = [];
  return {
    batches,
    settled,
    work: {
      process: async (batch: readonly string[]) => {
        batches.push([...batch]);
        if (fail(batch)) throw new Error(`failed ${batch.join(',')}`);
      },
      settleFailed: async (item: string, error: unknown) => {
        settled.push(item);
        if (!keep(item)) throw error;
      },
    },
  };
}

describe(Lanes.name, () => {
  it('takes what queued on a lane while it was busy as one batch, up to the most a batch holds', async () => {
    const r = recording(() => false);
    const lanes = new Lanes<string>(1, 2, r.work);

    await Promise.all(['a', 'b', 'c', 'd'].map((item) => lanes.submit('k', item)));

    expect(r.batches).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('retries a failed batch item by item: only the item that fails alone is settled, and rejected unless kept', async () => {
    const r = recording(
      (batch) => batch.includes('bad') || batch.includes('kept'),
      (item) => item === 'kept',
    );
    const lanes = new Lanes<string>(1, 10, r.work);
    const first = lanes.submit('k', 'first');

    const outcomes = await Promise.allSettled([
      first,
      lanes.submit('k', 'good'),
      lanes.submit('k', 'bad'),
      lanes.submit('k', 'kept'),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(r.batches).toEqual([['first'], ['good', 'bad', 'kept'], ['good'], ['bad'], ['kept']]);
    expect(r.settled).toEqual(['bad', 'kept']);
  });

  it('halves a batch that failed on an item’s data down to that item, resolving the others as their parts succeed', async () => {
    const processed: string[][] = [];
    const settled: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lanes = new Lanes<string>(1, 100, {
      process: async (batch) => {
        processed.push([...batch]);
        if (batch.includes('hold')) await held;
        if (batch.includes('poison')) throw new Error('22003: out of range');
      },
      settleFailed: async (item) => {
        settled.push(item);
      },
      splits: (error) => error instanceof Error && error.message.startsWith('22'),
    });
    const first = lanes.submit('k', 'hold');
    const items = Array.from({ length: 16 }, (_, i) => (i === 11 ? 'poison' : `m${i}`));
    const submitted = items.map((item) => lanes.submit('k', item));
    release();

    await Promise.all([first, ...submitted]);

    expect(settled).toEqual(['poison']);
    // The batch of 16, then halves while they fail: eight writes in all, not sixteen after the batch.
    expect(processed.slice(1).map((b) => b.length)).toEqual([16, 8, 8, 4, 2, 2, 1, 1, 4]);
    // In arrival order, each item committed exactly once.
    const committed = processed
      .slice(1)
      .filter((b) => !b.includes('poison'))
      .flat();
    expect(committed).toEqual(items.filter((item) => item !== 'poison'));
  });

  it('runs a task between two batches of its lane, never during one', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lanes = new Lanes<string>(1, 10, {
      process: async (batch) => {
        events.push(`start ${batch.join(',')}`);
        if (batch.includes('a')) await held;
        events.push(`end ${batch.join(',')}`);
      },
      settleFailed: async (_, error) => {
        throw error;
      },
    });
    const a = lanes.submit('k', 'a');
    const task = lanes.exclusive(0, async () => {
      events.push('task');
    });
    const b = lanes.submit('k', 'b');
    release();

    await Promise.all([a, task, b]);

    expect(events).toEqual(['start a', 'end a', 'task', 'start b', 'end b']);
  });

  it('keeps a tracker on one lane, and spreads trackers over the lanes', () => {
    const lanes = new Lanes<string>(4, 10, {
      process: async () => undefined,
      settleFailed: async () => undefined,
    });
    const imeis = Array.from({ length: 40 }, (_, i) => `3500000000000${String(i).padStart(2, '0')}`);

    expect(lanes.laneOf(imeis[0]!)).toBe(laneOfImei(imeis[0]!, 4));
    expect(new Set(imeis.map((imei) => lanes.laneOf(imei))).size).toBe(4);
    expect(lanes.byLane(imeis).flat().sort()).toEqual([...imeis].sort());
    expect(laneOfImei(imeis[5]!, 1)).toBe(0);
  });
});
