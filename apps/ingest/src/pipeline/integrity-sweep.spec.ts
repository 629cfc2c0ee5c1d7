import type { Store } from '@app/db';
import type { IntegrityEvent } from '@app/integrity';
import type { Fix } from '@app/telemetry';
import { LiveState, MemoryLiveStateStore } from '../live-state';
import { IntegrityStage, stepAll } from '../stages/integrity.stage';
import { bindMachine } from '../stages/machine.stage';
import { IMEI, emptyState, integrityWriter, target } from '../stages/testing';
import type { ViolationsStage } from '../stages/violations.stage';
import { IntegritySweep } from './integrity-sweep';
import { Lanes } from './lanes';

const T = Date.parse('2026-11-22T05:00:00Z');
const HOUR = 3_600_000;

/** Declared windows: none. */
const store = {
  repos: { declaredWindows: { machinesWithActive: async () => [], activeOverlapping: async () => [] } },
} as unknown as Store;

/** A tracker whose last fix, ignition on, was at `T`. */
function reportedAt(writer: ReturnType<typeof integrityWriter>, imei = IMEI): LiveState {
  const state = emptyState(imei);
  bindMachine(
    writer,
    state,
    { id: `m-${imei}`, category: 'excavator', declaredUse: null },
    target(`m-${imei}`),
    T,
  );
  const fix: Fix = {
    deviceId: imei,
    source: 'json',
    time: T,
    receivedAt: T + 2_000,
    lat: -12.6,
    lon: -69.2,
    ignition: true,
    events: [],
    flags: [],
    trusted: true,
    index: 0,
    id: `${imei}@${new Date(T).toISOString()}`,
  };
  writer.runWith(state, [], (s, ctx) => stepAll(s, [{ type: 'fix', fix }], ctx));
  return state;
}

function sweeper(write: (alerts: readonly IntegrityEvent[]) => Promise<void>) {
  const writer = integrityWriter();
  const liveStates = new MemoryLiveStateStore(10);
  const lanes = new Lanes<unknown>(2, 10, {
    process: async () => undefined,
    settleFailed: async (_, error) => {
      throw error;
    },
  });
  const violations = { writeAlerts: write } as unknown as ViolationsStage;
  const sweep = new IntegritySweep(
    lanes,
    liveStates,
    store,
    writer,
    new IntegrityStage(writer, store),
    violations,
  );
  return { writer, liveStates, sweep };
}

describe(IntegritySweep.name, () => {
  it('raises went-dark for every held tracker silent past its limit, on its writer, and keeps the states', async () => {
    const written: IntegrityEvent[] = [];
    const { writer, liveStates, sweep } = sweeper(async (alerts) => void written.push(...alerts));
    await liveStates.committed([reportedAt(writer), reportedAt(writer, '490154203237518')]);

    await sweep.sweep(T + 2 * HOUR);

    expect(written.map((e) => [e.type, e.kind, e.deviceId]).sort()).toEqual([
      ['integrity_open', 'went_dark', IMEI],
      ['integrity_open', 'went_dark', '490154203237518'],
    ]);
    expect(liveStates.held().sort()).toEqual(['356307042441013', '490154203237518']);
  });

  it('writes nothing for a tracker within its limit', async () => {
    const written: IntegrityEvent[] = [];
    const { writer, liveStates, sweep } = sweeper(async (alerts) => void written.push(...alerts));
    await liveStates.committed([reportedAt(writer)]);

    await sweep.sweep(T + 60_000);

    expect(written).toEqual([]);
  });

  it('forgets the states it changed when the alerts could not be written', async () => {
    const { writer, liveStates, sweep } = sweeper(async () => {
      throw new Error('database down');
    });
    await liveStates.committed([reportedAt(writer)]);

    await expect(sweep.sweep(T + 2 * HOUR)).rejects.toThrow('database down');

    expect(liveStates.held()).toEqual([]);
  });
});
