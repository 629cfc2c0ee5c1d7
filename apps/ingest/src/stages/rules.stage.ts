import { Fix, RuleEvent } from '@app/rules';
import { LiveState } from '../live-state';
import { MachineOfTracker, RulesEvaluator } from '../rules.evaluator';
import type { StoredMessage } from './store.stage';

/** A tracker's rule events of a batch, for the violations stage to write. */
export interface TrackerVerdicts {
  readonly imei: string;
  readonly events: RuleEvent[];
}

/**
 * Stage 5, geofence and rules: steps a stored message's trusted fixes, with the H3 cells stored with them, through
 * the rules (zones at each fix from the active geofence index; enter, exit, dwell, crossings) on the tracker's
 * live state. Flagged fixes are stored but never the ground of a verdict.
 */
export class RulesStage {
  constructor(private readonly rules: RulesEvaluator) {}

  evaluate(state: LiveState, machine: MachineOfTracker, stored: StoredMessage): TrackerVerdicts | undefined {
    const fixes: Fix[] = [];
    for (const fix of stored.item.fixes) if (fix.trusted) fixes.push(fix);
    const events = this.rules.fold(state, machine, fixes);
    return events.length > 0 ? { imei: stored.imei, events } : undefined;
  }
}
