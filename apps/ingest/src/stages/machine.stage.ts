import { IngestTarget } from '@app/db';
import { IntegrityWriter } from '../integrity.writer';
import { LiveState } from '../live-state';
import { MachineOfTracker } from '../rules.evaluator';
import { TrackerTargets } from '../tracker-targets';
import type { BatchMessage } from './batch-message';

/**
 * Stage 2, resolve the tracker's machine: the registry's target of each tracker of a batch (machine, category,
 * declared use, reporting intervals; kept in memory by `TrackerTargets`), set on each message, and each live
 * state bound to its machine. A message of a tracker the registry does not know keeps no machine: nothing of it
 * is stored.
 */
export class MachineStage {
  constructor(
    private readonly targets: TrackerTargets,
    private readonly integrity: IntegrityWriter,
  ) {}

  /** The targets of the registered trackers among `imeis`, at platform time `now`. */
  targetsOf(imeis: readonly string[], now: number): Promise<Map<string, IngestTarget>> {
    return this.targets.of(imeis, now);
  }

  /** Sets the machine of the message's tracker, when the registry knows the tracker. */
  resolve(item: BatchMessage, targets: ReadonlyMap<string, IngestTarget>): void {
    const target = item.imei ? targets.get(item.imei) : undefined;
    if (target) item.machine = target.machine;
  }

  /** Keeps the state's machine current: a tracker moved to another machine starts afresh (rules and integrity). */
  bind(state: LiveState, machine: MachineOfTracker, target: IngestTarget | undefined, now: number): void {
    bindMachine(this.integrity, state, machine, target, now);
  }
}

/** Keeps the state's machine current: a tracker moved to another machine starts afresh (rules and integrity). */
export function bindMachine(
  integrity: IntegrityWriter,
  state: LiveState,
  machine: MachineOfTracker,
  target: IngestTarget | undefined,
  now: number,
): void {
  if (state.machineId !== machine.id) {
    state.machineId = machine.id;
    state.rules = undefined;
    state.integrity = undefined;
  }
  state.machine = integrity.machineOf(machine, target ?? {}, state.machine);
  state.integrity ??= integrity.fresh(state.imei, now);
}
