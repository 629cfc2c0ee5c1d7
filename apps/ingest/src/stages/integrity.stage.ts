import { Store } from '@app/db';
import {
  DeclaredWindow,
  IntegrityEvent,
  IntegrityInput,
  IntegrityState,
  fromDeviceStatus,
  integrityStep,
} from '@app/integrity';
import { IntegrityRun, IntegrityWriter } from '../integrity.writer';
import { LiveState } from '../live-state';
import type { BatchMessage } from './batch-message';
import type { StoredMessage } from './store.stage';

/** A tracker's integrity events of a run, with the state they changed. */
export interface TrackerAlerts {
  readonly state: LiveState;
  readonly events: IntegrityEvent[];
}

/**
 * Stage 6, integrity: steps every stored fix (trusted or flagged) and every status message of a tracker through
 * the integrity detectors (went dark, power cut, tamper, GNSS jamming, spoofing) on its live state. The
 * machine's declared windows are read only for the runs that need them.
 */
export class IntegrityStage {
  constructor(
    private readonly integrity: IntegrityWriter,
    private readonly store: Store,
  ) {}

  /** Adds a stored message's fixes to its tracker's inputs. */
  addFixes(inputs: Map<LiveState, IntegrityInput[]>, state: LiveState, stored: StoredMessage): void {
    const list = inputs.get(state) ?? [];
    for (const fix of stored.item.fixes) list.push({ type: 'fix', fix });
    inputs.set(state, list);
  }

  /**
   * Adds a status message to its tracker's inputs. Status messages are not stored, but the detectors quote the
   * last one when a tracker goes dark; they keep their place (by arrival) among the tracker's fixes.
   */
  addStatus(inputs: Map<LiveState, IntegrityInput[]>, state: LiveState, item: BatchMessage): void {
    if (!item.status) return;
    const list = inputs.get(state) ?? [];
    const input: IntegrityInput = { type: 'status', status: fromDeviceStatus(item.status) };
    const at = list.findIndex((x) => x.type === 'fix' && x.fix.receivedAt > input.status.receivedAt);
    if (at < 0) list.push(input);
    else list.splice(at, 0, input);
    inputs.set(state, list);
  }

  /** Steps each tracker's inputs through the detectors; returns the events of the trackers that raised any. */
  evaluate(inputs: ReadonlyMap<LiveState, readonly IntegrityInput[]>, now: number): Promise<TrackerAlerts[]> {
    return this.run(
      [...inputs].map(([state, list]) => ({ state, run: (s, ctx) => stepAll(s, list, ctx) })),
      now,
    );
  }

  /**
   * Runs the integrity detectors over each tracker's state, reading declared windows only for the machines whose
   * run needs them (windows in force, or an alert open); returns the events per tracker.
   */
  async run(runs: readonly { state: LiveState; run: IntegrityRun }[], now: number): Promise<TrackerAlerts[]> {
    if (runs.length === 0) return [];
    await this.integrity.refreshWindowMachines(this.store.repos, now);
    const needing = runs.flatMap((r) =>
      this.integrity.needsWindows(r.state) ? (r.state.machine?.machineId ?? []) : [],
    );
    const windows =
      needing.length === 0 ? undefined : await this.integrity.windowsOf(this.store.repos, needing, now);
    const none: DeclaredWindow[] = [];
    const out: TrackerAlerts[] = [];
    for (const r of runs) {
      const events = this.integrity.runWith(
        r.state,
        windows?.get(r.state.machine?.machineId ?? '') ?? none,
        r.run,
      );
      if (events.length > 0) out.push({ state: r.state, events });
    }
    return out;
  }
}

/** Steps the integrity detectors over a tracker's inputs, in order. */
export function stepAll(
  state: IntegrityState,
  inputs: readonly IntegrityInput[],
  ctx: Parameters<IntegrityRun>[1],
): { state: IntegrityState; events: IntegrityEvent[] } {
  let current = state;
  const events: IntegrityEvent[] = [];
  for (const input of inputs) {
    const result = integrityStep(current, input, ctx);
    current = result.state;
    events.push(...result.events);
  }
  return { state: current, events };
}
