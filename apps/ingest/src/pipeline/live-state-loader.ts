import { IngestTarget, PositionRow, Store } from '@app/db';
import { IntegrityFix, IntegrityInput } from '@app/integrity';
import { Fix, initialState } from '@app/rules';
import { FIX_EVENTS, FIX_FLAGS, FixEvent, FixFlag } from '@app/telemetry';
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

  /** Folds stored positions into a state, as if they had just arrived; their verdicts and alerts were written then. */
  replay(
    state: LiveState,
    rows: readonly PositionRow[],
    targets: ReadonlyMap<string, IngestTarget>,
    now: number,
  ): void {
    if (rows.length === 0) return;
    const target = targets.get(state.imei);
    const machine = target?.machine;
    const fixes = rows.map(fixOfRow);
    if (machine) {
      bindMachine(this.integrity, state, machine, target, now);
      this.rules.fold(
        state,
        machine,
        fixes.filter((_, i) => (rows[i] as PositionRow).trusted),
      );
      const inputs = rows.map((row): IntegrityInput => ({ type: 'fix', fix: integrityFixOfRow(row) }));
      this.integrity.runWith(state, [], (s, ctx) => stepAll(s, inputs, ctx));
    }
    for (const [i, fix] of fixes.entries()) {
      state.cursor = Math.max(state.cursor, fix.receivedAt);
      if (!(rows[i] as PositionRow).trusted) continue;
      advanceLastFix(state, fix);
    }
    this.counters.statesRebuilt++;
  }
}

/** A stored fix as the integrity detectors take it. */
function integrityFixOfRow(row: PositionRow): IntegrityFix {
  const fix: IntegrityFix = {
    id: `${row.imei}@${row.fix_time.toISOString()}`,
    deviceTime: row.fix_time.getTime(),
    receivedAt: row.received_at.getTime(),
    lat: row.lat,
    lon: row.lon,
    events: row.events.filter((e): e is FixEvent => (FIX_EVENTS as readonly string[]).includes(e)),
    flags: row.flags.filter((f): f is FixFlag => (FIX_FLAGS as readonly string[]).includes(f)),
  };
  if (row.speed_kmh !== null) fix.speedKmh = row.speed_kmh;
  if (row.ignition !== null) fix.ignition = row.ignition;
  if (row.hdop !== null) fix.hdop = row.hdop;
  if (row.satellites !== null) fix.satellites = row.satellites;
  if (row.external_voltage_v !== null) fix.externalVoltageV = row.external_voltage_v;
  if (row.battery_v !== null) fix.batteryV = row.battery_v;
  if (row.sequence !== null) fix.sequence = Number(row.sequence);
  if (row.events.includes('towing')) fix.towing = true;
  if (row.events.includes('unplug')) fix.unplugged = true;
  return fix;
}

/** A stored fix as the rules take it, with its stored cell. */
function fixOfRow(row: PositionRow): Fix {
  return {
    deviceId: row.imei,
    id: `${row.imei}@${row.fix_time.toISOString()}`,
    time: row.fix_time.getTime(),
    receivedAt: row.received_at.getTime(),
    lat: row.lat,
    lon: row.lon,
    ...(row.h3_cell ? { cell: row.h3_cell } : {}),
    ...(row.speed_kmh !== null ? { speedKmh: row.speed_kmh } : {}),
    ...(row.ignition !== null ? { ignition: row.ignition } : {}),
    ...(row.hdop !== null ? { hdop: row.hdop } : {}),
    ...(row.satellites !== null ? { satellites: row.satellites } : {}),
    ...(row.events.includes('towing') ? { towed: true } : {}),
  };
}
