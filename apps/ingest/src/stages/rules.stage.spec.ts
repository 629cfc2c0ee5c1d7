import type { Fix, RuleEvent } from '@app/rules';
import type { LiveState } from '../live-state';
import type { MachineOfTracker, RulesEvaluator } from '../rules.evaluator';
import { decode } from './decode.stage';
import { checkPlausibility } from './plausibility.stage';
import { RulesStage } from './rules.stage';
import { telemetryRows } from './store.stage';
import { IMEI, emptyState, incoming, jsonFix } from './testing';

/** A rules evaluator that records what it is given and answers with `events`. */
function recordingRules(events: RuleEvent[]) {
  const folded: Fix[][] = [];
  const rules = {
    fold(_state: LiveState, _machine: MachineOfTracker, fixes: readonly Fix[]) {
      folded.push([...fixes]);
      return events;
    },
  };
  return { folded, rules: rules as unknown as RulesEvaluator };
}

describe(RulesStage.name, () => {
  const machine = { id: 'm-1', category: 'excavator', declaredUse: null };
  const item = decode(
    incoming(`devices/${IMEI}/fixes`, {
      fixes: [
        jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2, { speed: 3 }),
        jsonFix('2026-11-22T04:59:10Z', 0, 0),
        jsonFix('2026-11-22T04:59:20Z', -12.6001, -69.2001, { ignition: true }),
      ],
    }),
  );
  item.machine = machine;
  checkPlausibility(item, undefined);
  const rows = telemetryRows([item]);
  const stored = rows.stored[0]!;

  it('steps only the trusted fixes through the rules, the same objects, with their stored ids and H3 cells', () => {
    const { folded, rules } = recordingRules([]);

    expect(new RulesStage(rules).evaluate(emptyState(), machine, stored)).toBeUndefined();

    expect(folded).toHaveLength(1);
    expect(folded[0]).toHaveLength(2);
    expect(folded[0]?.[0]).toBe(item.fixes[0]);
    expect(folded[0]?.[1]).toBe(item.fixes[2]);
    expect(folded[0]?.[0]).toMatchObject({
      deviceId: IMEI,
      id: `${IMEI}@2026-11-22T04:59:00.000Z`,
      cell: rows.positions[0]?.h3_cell,
      speedKmh: 3,
    });
  });

  it('hands the tracker’s events on for the violations stage', () => {
    const event = { type: 'verdict_open' } as RuleEvent;
    const { rules } = recordingRules([event]);

    expect(new RulesStage(rules).evaluate(emptyState(), machine, stored)).toEqual({
      imei: IMEI,
      events: [event],
    });
  });
});
