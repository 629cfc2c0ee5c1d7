import { IngestTarget } from '@app/db';
import { DecodeLimits } from '@app/telemetry';
import { IntegrityEvent, IntegrityInput } from '@app/integrity';
import { LiveState } from '../live-state';
import type { BatchMessage } from '../stages/batch-message';
import { IntegrityStage } from '../stages/integrity.stage';
import { MachineStage } from '../stages/machine.stage';
import { checkPlausibility } from '../stages/plausibility.stage';
import { RulesStage, TrackerVerdicts } from '../stages/rules.stage';
import { TelemetryRows, telemetryRows } from '../stages/store.stage';

/** The stages a decoded batch goes through before it is written. */
export interface BatchStages {
  readonly machines: MachineStage;
  readonly rules: RulesStage;
  readonly integrity: IntegrityStage;
  /** The plausibility check's tolerances (the device clock's from the configuration). */
  readonly limits: Readonly<DecodeLimits>;
}

/** What a batch writes, and the live states it changed (kept once it committed). */
export interface EvaluatedBatch {
  readonly rows: TelemetryRows;
  readonly verdicts: TrackerVerdicts[];
  readonly alerts: IntegrityEvent[];
  readonly changed: LiveState[];
}

/**
 * A decoded batch through the stages, up to what it writes, on the live states of its registered trackers: the
 * tracker's machine, the plausibility check, the rows to store, the rules and the integrity detectors.
 */
export async function evaluateBatch(
  stages: BatchStages,
  batch: readonly BatchMessage[],
  states: ReadonlyMap<string, LiveState>,
  targets: ReadonlyMap<string, IngestTarget>,
  now: number,
): Promise<EvaluatedBatch> {
  for (const item of batch) {
    stages.machines.resolve(item, targets);
    const boundAt = item.imei ? targets.get(item.imei)?.boundAt : undefined;
    checkPlausibility(item, fixesOf(item) ? states.get(item.imei as string) : undefined, {
      limits: stages.limits,
      boundAt,
    });
  }
  const rows = telemetryRows(batch);
  const changed = new Map<string, LiveState>();
  const verdicts: TrackerVerdicts[] = [];
  const inputs = new Map<LiveState, IntegrityInput[]>();
  for (const stored of rows.stored) {
    const state = states.get(stored.imei);
    if (!state) continue;
    if (stored.machine) {
      stages.machines.bind(state, stored.machine, targets.get(stored.imei), now);
      const events = stages.rules.evaluate(state, stored.machine, stored);
      if (events) verdicts.push(events);
      stages.integrity.addFixes(inputs, state, stored);
    }
    state.cursor = Math.max(state.cursor, stored.item.message.receivedAt.getTime());
    changed.set(stored.imei, state);
  }
  for (const item of batch) {
    const state = item.status && item.machine && item.imei ? states.get(item.imei) : undefined;
    if (!state || !item.machine) continue;
    stages.machines.bind(state, item.machine, targets.get(state.imei), now);
    stages.integrity.addStatus(inputs, state, item);
    changed.set(state.imei, state);
  }
  const alerts = (await stages.integrity.evaluate(inputs, now)).flatMap((a) => a.events);
  return { rows, verdicts, alerts, changed: [...changed.values()] };
}

/** Whether the message is on a channel of fixes (JSON or Teltonika). */
function fixesOf(item: BatchMessage): boolean {
  return item.channel === 'fixes' || item.channel === 'teltonika';
}
