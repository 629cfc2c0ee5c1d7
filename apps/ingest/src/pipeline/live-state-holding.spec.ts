import { LiveState, MemoryLiveStateStore } from '../live-state';
import { committing, holdingStates } from './live-state-holding';

const state = (imei: string): LiveState => ({
  imei,
  machineId: 'm-1',
  lastFix: undefined,
  rules: undefined,
  integrity: undefined,
  cursor: 1,
});

/** A memory store that records which trackers were settled. */
function recordingStore() {
  const store = new MemoryLiveStateStore(10);
  const settled = jest.spyOn(store, 'settled').mock.calls;
  return { store, settled };
}

describe(holdingStates.name, () => {
  it('settles the states it held once the work is done', async () => {
    const { store, settled } = recordingStore();
    await store.committed([state('a')]);

    await holdingStates(store, ['a'], async () => undefined);

    expect(settled).toEqual([[['a']]]);
    expect(store.held()).toEqual(['a']);
  });

  it('forgets the states it held when the work fails, and still settles them', async () => {
    const { store, settled } = recordingStore();
    await store.committed([state('a'), state('b')]);

    await expect(
      holdingStates(store, ['a'], async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');

    expect(settled).toEqual([[['a']]]);
    expect(store.held()).toEqual(['b']);
  });
});

describe(committing.name, () => {
  it('keeps the changed states once the write committed', async () => {
    const { store } = recordingStore();

    await committing(store, [state('a')], async () => undefined);

    expect(store.held()).toEqual(['a']);
  });

  it('forgets the changed states when the write failed', async () => {
    const { store } = recordingStore();
    await store.committed([state('a')]);

    await expect(
      committing(store, [state('a')], async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');

    expect(store.held()).toEqual([]);
  });
});
