import { IngestTarget, PositionRow, Store, fixOfPositionRow } from '@app/db';
import { IntegrityInput } from '@app/integrity';
import { initialState } from '@app/rules';
import { IngestCounters } from '../ingest-counters';
import { IntegrityWriter } from '../integrity.writer';
import { LiveState, LiveStateStore, advanceLastFix } from '../live-state';
import { RulesEvaluator } from '../rules.evaluator';
import { stepAll } from '../stages/integrity.stage';
import { bindMachine } from '../stages/machine.stage';

interface Replay {
  readonly state: LiveState;
  readonly receivedAfter: Date;
  readonly takenFrom: Date;
}

/**
 * Loads trackers' live states: from memory or Redis, brought up to date from PostgreSQL where they may lag
 * (another instance served the tracker, ingest restarted, Redis was lost) by replaying the positions stored
 * since (or, without a state, the last hours of them) through the rules and the integrity detectors.
 */
export class LiveStateLoader {
  constructor(
    private readonly liveStates: LiveStateStore,
    private readonly store: Store,
    private readonly rules: RulesEvaluator,
    private readonly integrity: IntegrityWriter,
    private readonly counters: IngestCounters,
  ) {}

  /** The live state of each registered tracker among `imeis`, held until settled (see `LiveStateStore.load`). */
  async load(
    imeis: readonly string[],
    targets: ReadonlyMap<string, IngestTarget>,
    now: number,
  ): Promise<Map<string, LiveState>> {
    const loaded = await this.liveStates.load(imeis);
    const states = new Map<string, LiveState>();
    const replays: Replay[] = [];
    const historyMs = this.rules.params.historyMs;
    const lost = imeis.filter((imei) => loaded.get(imei)?.replay && !loaded.get(imei)?.state);
    const newest = await this.store.repos.positions.newestFixTimes(lost);
    for (const imei of imeis) {
      const entry = loaded.get(imei);
      let state = entry?.state;
      if (state) {
        states.set(imei, state);
        if (entry?.replay)
          replays.push({
            state,
            receivedAfter: new Date(state.cursor),
            takenFrom: new Date((state.lastFix?.time ?? 0) - historyMs),
          });
        continue;
      }
      // Episode numbers must not repeat those of violations opened before the state was lost.
      const rules = initialState(imei);
      rules.seq = now;
      state = {
        imei,
        machineId: targets.get(imei)?.machine?.id ?? null,
        lastFix: undefined,
        rules,
        integrity: undefined,
        cursor: 0,
      };
      states.set(imei, state);
      const newestFix = newest.get(imei);
      if (newestFix)
        replays.push({
          state,
          receivedAfter: new Date(0),
          takenFrom: new Date(newestFix.getTime() - historyMs),
        });
    }
    if (replays.length > 0) {
      const rows = await this.store.repos.positions.replayable(
        replays.map((r) => ({ imei: r.state.imei, receivedAfter: r.receivedAfter, takenFrom: r.takenFrom })),
      );
      const byImei = new Map<string, PositionRow[]>();
      for (const row of rows) {
        const list = byImei.get(row.imei) ?? [];
        list.push(row);
        byImei.set(row.imei, list);
      }
      for (const { state } of replays) this.replay(state, byImei.get(state.imei) ?? [], targets, now);
    }
    return states;
  }

  /**
   * Folds stored positions into a state as they were folded when they arrived, through the same converters and
   * steps; their verdicts and alerts were written then, so only the state is rebuilt.
   */
  replay(
    state: LiveState,
    rows: readonly PositionRow[],
    targets: ReadonlyMap<string, IngestTarget>,
    now: number,
  ): void {
    if (rows.length === 0) return;
    const target = targets.get(state.imei);
    const machine = target?.machine;
    const fixes = rows.map(fixOfPositionRow);
    if (machine) {
      bindMachine(this.integrity, state, machine, target, now);
      // Message by message, as they arrived (the rows come in that order).
      let first = 0;
      for (let i = 1; i <= rows.length; i++) {
        if (i < rows.length && rows[i]?.message_id === rows[first]?.message_id) continue;
        this.rules.fold(
          state,
          machine,
          fixes.slice(first, i).filter((fix) => fix.trusted),
        );
        first = i;
      }
      const inputs = fixes.map((fix): IntegrityInput => ({ type: 'fix', fix }));
      this.integrity.runWith(state, [], (s, ctx) => stepAll(s, inputs, ctx));
    }
    for (const fix of fixes) {
      state.cursor = Math.max(state.cursor, fix.receivedAt);
      advanceLastFix(state, fix);
    }
    this.counters.statesRebuilt++;
  }
}
