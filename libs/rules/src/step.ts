import { fixWeight, judgeActivity, type ActivityJudgement } from './classify';
import { crossedZones } from './crossing';
import type {
  CrossingEvent,
  CrossingVerdict,
  FixIgnoredEvent,
  IgnoreReason,
  RevisionChange,
  RevisionEvent,
  RuleEvent,
  RuleRef,
  VerdictEvent,
  ZoneEvent,
} from './events';
import type { Activity, Fix, FixRef, MachineProfile, ZoneHit, ZoneLookup } from './model';
import type { StreamParams } from './params';
import type { RuleSet } from './rules';
import {
  advanceAll,
  fixRef,
  type AdvanceContext,
  type Episode,
  type HistFix,
  type Keys,
  type Transition,
} from './tracker';

/** 2: one signal per rule (`r|<ruleId>`), listing every matching zone, instead of one per rule and zone. */
export const STATE_VERSION = 2;

/**
 * Everything the rules remember about one device, as plain JSON. `keys` is the debounced state of
 * every signal after the newest fix; `base` is the same before the oldest fix of `history`, so a
 * late fix can be inserted in event-time order and the history replayed.
 */
export interface DeviceState {
  v: typeof STATE_VERSION;
  deviceId: string;
  /** Episodes numbered so far (episode ids are `<deviceId>:<n>`). */
  seq: number;
  /** Event time of the newest fix dropped from `history`; fixes at or before it cannot be replayed. */
  horizon: number | null;
  history: HistFix[];
  base: Keys;
  keys: Keys;
  /** Episodes that closed after `horizon`, as last reported. */
  closed: Episode[];
  /** Distinct signal sets of the fixes in `history` (consecutive fixes mostly share one). */
  signals: string[][];
}

export interface StepContext {
  machine: MachineProfile;
  lookup: ZoneLookup;
  rules: RuleSet;
  params: StreamParams;
}

export interface StepResult {
  state: DeviceState;
  events: RuleEvent[];
}

export function initialState(deviceId: string): DeviceState {
  return {
    v: STATE_VERSION,
    deviceId,
    seq: 0,
    horizon: null,
    history: [],
    base: {},
    keys: {},
    closed: [],
    signals: [],
  };
}

/** Parse a state read back from storage; throws on another format version. */
export function parseState(json: string): DeviceState {
  return checkState(JSON.parse(json));
}

/** A state read back from storage as a JSON value (inside a larger document); throws on another format version. */
export function checkState(value: unknown): DeviceState {
  const state = value as DeviceState;
  if (state?.v !== STATE_VERSION)
    throw new Error(`device state version ${String(state?.v)} is not ${STATE_VERSION}`);
  return state;
}

const ZONE = 'z|';
const RULE = 'r|';

/**
 * Evaluate one fix of one device. Deterministic: the result depends only on the arguments (no
 * clock). The given state is taken over and updated in place for speed; use the returned one.
 * Fixes may arrive in any order: a fix older than the newest is inserted in event-time order and
 * the device's recent history replayed, reporting only what changed.
 */
export function step(state: DeviceState | undefined, fix: Fix, ctx: StepContext): StepResult {
  const s = state ?? initialState(fix.deviceId);
  if (s.deviceId !== fix.deviceId)
    throw new Error(`fix of device ${fix.deviceId} given the state of ${s.deviceId}`);
  const events: RuleEvent[] = [];
  const weight = fixWeight(fix, ctx.params);
  if (weight === 0) return ignore(s, fix, 'unusable', ctx, events);
  if (s.horizon !== null && fix.time <= s.horizon) return ignore(s, fix, 'beyond_horizon', ctx, events);
  const history = s.history;
  const newest = history[history.length - 1];
  const inOrder = newest === undefined || fix.time > newest.t;
  const at = inOrder ? history.length : insertionIndex(history, fix.time);
  if (history[at]?.t === fix.time) return ignore(s, fix, 'duplicate', ctx, events);
  const judged = judgeActivity(fix, ctx.params, inOrder ? newest : history[at - 1]);
  const signals = evaluate(fix, judged.activity, ctx);
  const h = histFix(fix, weight, judged, intern(s, signals));
  const run = new Evaluation(s, ctx, fix.receivedAt, events);
  if (inOrder) {
    if (newest) run.segment(newest, h, undefined);
    const transitions: Transition[] = [];
    advanceAll(s.keys, h, signals, run.advanceContext, transitions);
    history.push(h);
    for (const tr of transitions) {
      if (tr.type === 'close') s.closed.push(tr.episode);
      run.report(tr.type, tr.episode, tr.t, false, h);
    }
  } else {
    const before = history[at - 1];
    const after = history[at] as HistFix;
    const previouslyCrossed = after.x;
    if (before) run.segment(before, h, previouslyCrossed);
    run.segment(h, after, previouslyCrossed);
    history.splice(at, 0, h);
    run.replay();
  }
  fold(s, ctx);
  return { state: s, events };
}

function ignore(
  s: DeviceState,
  fix: Fix,
  reason: IgnoreReason,
  ctx: StepContext,
  events: RuleEvent[],
): StepResult {
  const ref: FixRef = { time: fix.time, receivedAt: fix.receivedAt, lat: fix.lat, lon: fix.lon };
  if (fix.id !== undefined) ref.id = fix.id;
  if (fix.hdop !== undefined) ref.hdop = fix.hdop;
  const event: FixIgnoredEvent = {
    type: 'fix_ignored',
    deviceId: s.deviceId,
    machineId: ctx.machine.machineId,
    detectedAt: fix.receivedAt,
    fix: ref,
    reason,
  };
  events.push(event);
  return { state: s, events };
}

/** Zones and rules at a fix, as the signals the hysteresis works on. */
function evaluate(fix: Fix, activity: Activity, ctx: StepContext): string[] {
  const zones = fix.zones ?? ctx.lookup.zonesAt(fix.lat, fix.lon, fix.cell);
  const signals: string[] = [];
  for (const z of zones) signals.push(ZONE + z.id);
  // One signal per rule: overlapping zones of one kind (two layers of a river, a lagoon beside it) are one case.
  for (const m of ctx.rules.match(ctx.machine.category, activity, zones, ctx.machine.declaredUse)) {
    const signal = RULE + m.rule.id;
    if (!signals.includes(signal)) signals.push(signal);
  }
  return signals;
}

function histFix(fix: Fix, w: number, judged: ActivityJudgement, s: number): HistFix {
  const h: HistFix = {
    t: fix.time,
    rx: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    w,
    a: judged.activity,
    s,
  };
  if (judged.transportAnchor !== undefined) h.ta = judged.transportAnchor;
  if (fix.id !== undefined) h.id = fix.id;
  if (fix.hdop !== undefined) h.hdop = fix.hdop;
  return h;
}

/** Index of the signal set in the state's table, added if new. */
function intern(s: DeviceState, signals: readonly string[]): number {
  const table = s.signals;
  for (let i = table.length - 1; i >= 0; i--) if (sameSignals(table[i] as string[], signals)) return i;
  table.push([...signals]);
  return table.length - 1;
}

function sameSignals(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function insertionIndex(history: readonly HistFix[], t: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((history[mid] as HistFix).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drop the oldest fixes beyond `historyFixes` / `historyMs`, folding them into `base`. */
function fold(s: DeviceState, ctx: StepContext): void {
  const history = s.history;
  const newest = history[history.length - 1];
  if (!newest) return;
  const limit = newest.t - ctx.params.historyMs;
  let drop = 0;
  while (
    drop < history.length - 1 &&
    (history.length - drop > ctx.params.historyFixes || (history[drop] as HistFix).t < limit)
  ) {
    drop++;
  }
  if (drop === 0) return;
  const idOf = (key: string, start: number): string => {
    const live = s.keys[key]?.ep;
    if (live && live.start === start) return live.id;
    const closed = s.closed.find((e) => e.key === key && e.start === start);
    if (closed) return closed.id;
    return `${s.deviceId}:${++s.seq}`;
  };
  const advance: AdvanceContext = {
    params: ctx.params,
    catalogueVersion: ctx.lookup.catalogueVersion,
    newEpisodeId: idOf,
  };
  const ignored: Transition[] = [];
  for (let i = 0; i < drop; i++) {
    const h = history[i] as HistFix;
    advanceAll(s.base, h, s.signals[h.s] as string[], advance, ignored);
    s.horizon = h.t;
  }
  history.splice(0, drop);
  const kept: string[][] = [];
  const remap = new Map<number, number>();
  for (const h of history) {
    let i = remap.get(h.s);
    if (i === undefined) {
      i = kept.push(s.signals[h.s] as string[]) - 1;
      remap.set(h.s, i);
    }
    h.s = i;
  }
  s.signals = kept;
  const horizon = s.horizon as number;
  s.closed = s.closed.filter((e) => (e.endConfirmedAt as number) > horizon);
}

function overlaps(a: Episode, b: Episode): boolean {
  return a.start <= (b.end ?? Infinity) && b.start <= (a.end ?? Infinity);
}

/** One step's evaluation: turns transitions into events, detects crossings, replays late fixes. */
class Evaluation {
  readonly advanceContext: AdvanceContext;

  constructor(
    private readonly s: DeviceState,
    private readonly ctx: StepContext,
    private readonly detectedAt: number,
    private readonly events: RuleEvent[],
  ) {
    this.advanceContext = {
      params: ctx.params,
      catalogueVersion: ctx.lookup.catalogueVersion,
      newEpisodeId: () => `${s.deviceId}:${++s.seq}`,
    };
  }

  /** Report zones crossed between `a` and `b` (stored on `b`) that `alreadyReported` does not hold. */
  segment(a: HistFix, b: HistFix, alreadyReported: readonly string[] | undefined): void {
    const { crossings, spacingMeters } = crossedZones(
      a,
      b,
      (id) => this.signalsOf(a).includes(ZONE + id) || this.signalsOf(b).includes(ZONE + id),
      this.ctx.lookup,
      this.ctx.params,
    );
    if (crossings.length === 0) {
      delete b.x;
      return;
    }
    b.x = crossings.map((c) => c.zone.id);
    const activity = segmentActivity(a.a, b.a);
    const jurisdictions = this.jurisdictionsAt(a);
    const fresh = crossings.filter((c) => !alreadyReported?.includes(c.zone.id));
    // Every zone crossed on the segment where a rule holds is listed in that rule's one verdict, carried by the
    // first crossing where it holds.
    const byRule = new Map<string, CrossingVerdict>();
    const carriers = new Map<string, CrossingVerdict[]>();
    for (const c of fresh) {
      const matches = this.ctx.rules
        .match(this.ctx.machine.category, activity, [c.zone, ...jurisdictions], this.ctx.machine.declaredUse)
        .filter((m) => m.zone.id === c.zone.id);
      const carried: CrossingVerdict[] = [];
      for (const m of matches) {
        const known = byRule.get(m.rule.id);
        if (known) {
          known.zones.push(c.zone);
          continue;
        }
        const verdict: CrossingVerdict = { ...ruleRef(m.rule.id, this.ctx.rules), zones: [c.zone] };
        byRule.set(m.rule.id, verdict);
        carried.push(verdict);
      }
      carriers.set(c.zone.id, carried);
    }
    for (const c of fresh) {
      const verdicts = carriers.get(c.zone.id) ?? [];
      const delayMs = this.detectedAt - b.t;
      const event: CrossingEvent = {
        type: 'crossing',
        deviceId: this.s.deviceId,
        machineId: this.ctx.machine.machineId,
        detectedAt: this.detectedAt,
        catalogueVersion: this.ctx.lookup.catalogueVersion,
        zoneId: c.zone.id,
        zone: c.zone,
        at: c.at,
        from: fixRef(a),
        to: fixRef(b),
        sampleSpacingMeters: Math.round(spacingMeters * 10) / 10,
        delayMs,
        late: delayMs > this.ctx.params.lateAfterMs,
        verdicts,
      };
      this.events.push(event);
    }
  }

  private signalsOf(h: HistFix): readonly string[] {
    return this.s.signals[h.s] as string[];
  }

  private jurisdictionsAt(h: HistFix): ZoneHit[] {
    const out: ZoneHit[] = [];
    for (const key of this.signalsOf(h)) {
      if (!key.startsWith(ZONE)) continue;
      const zone = this.ctx.lookup.zone(key.slice(ZONE.length));
      if (zone?.kind === 'jurisdiction') out.push(zone);
    }
    return out;
  }

  /** Replay the history from `base` and report how the episodes differ from those reported. */
  replay(): void {
    const s = this.s;
    const keys: Keys = structuredClone(s.base);
    const closed: Episode[] = [];
    const transitions: Transition[] = [];
    const fresh = new Set<string>();
    let tmp = 0;
    const advance: AdvanceContext = {
      params: this.ctx.params,
      catalogueVersion: this.ctx.lookup.catalogueVersion,
      newEpisodeId: () => {
        const id = `replay:${++tmp}`;
        fresh.add(id);
        return id;
      },
    };
    for (const h of s.history) {
      transitions.length = 0;
      advanceAll(keys, h, this.signalsOf(h), advance, transitions);
      for (const tr of transitions) if (tr.type === 'close') closed.push(tr.episode);
    }
    const open: Episode[] = [];
    for (const key in keys) {
      const ep = keys[key]?.ep;
      if (ep) open.push(ep);
    }
    const previous: Episode[] = [...s.closed];
    for (const key in s.keys) {
      const ep = s.keys[key]?.ep;
      if (ep) previous.push(ep);
    }
    const byId = new Map(previous.map((e) => [e.id, e]));
    const replayed = [...closed, ...open].sort((a, b) => a.start - b.start);
    const matches = new Map<Episode, Episode>();
    const matched = new Set<string>();
    for (const ep of replayed) {
      const old = fresh.has(ep.id)
        ? previous.find((o) => o.key === ep.key && !matched.has(o.id) && overlaps(o, ep))
        : byId.get(ep.id);
      if (!old) continue;
      matches.set(ep, old);
      matched.add(old.id);
    }
    // Retractions first: an episode absorbed by an earlier one goes before that one reopens.
    for (const old of previous) if (!matched.has(old.id)) this.revise(old, ['retracted']);
    for (const ep of replayed) {
      const old = matches.get(ep);
      if (!old) {
        ep.id = `${s.deviceId}:${++s.seq}`;
        this.report('open', ep, ep.confirmedAt, true);
        if (ep.end !== undefined) this.report('close', ep, ep.endConfirmedAt as number, true);
        continue;
      }
      ep.id = old.id;
      ep.catalogueVersion = old.catalogueVersion;
      if (old.zones) ep.zones = mergeIds(old.zones, ep.zones);
      if (ep.nextDwell < old.nextDwell) ep.nextDwell = old.nextDwell;
      const changes: RevisionChange[] = [];
      if (ep.start !== old.start) changes.push('start_moved');
      if (old.end !== undefined && ep.end === undefined) changes.push('exit_revoked');
      if (old.end !== undefined && ep.end !== undefined && old.end !== ep.end) changes.push('end_moved');
      if (changes.length > 0) this.revise(ep, changes);
      if (old.end === undefined && ep.end !== undefined)
        this.report('close', ep, ep.endConfirmedAt as number, true);
    }
    s.keys = keys;
    s.closed = closed;
  }

  report(type: Transition['type'], ep: Episode, t: number, outOfOrder: boolean, current?: HistFix): void {
    const closing = type === 'close';
    const at = type === 'open' ? ep.start : closing ? (ep.end as number) : t;
    const confirmedAt = type === 'open' ? ep.confirmedAt : closing ? (ep.endConfirmedAt as number) : t;
    const delayMs = this.detectedAt - confirmedAt;
    const timing = {
      deviceId: this.s.deviceId,
      machineId: this.ctx.machine.machineId,
      detectedAt: this.detectedAt,
      catalogueVersion: ep.catalogueVersion,
      episodeId: ep.id,
      at,
      since: ep.start,
      confirmedAt,
      dwellMs: at - ep.start,
      delayMs,
      late: outOfOrder || delayMs > this.ctx.params.lateAfterMs,
      fixes: type === 'open' ? ep.fixes : closing ? (ep.endFixes ?? []) : current ? [fixRef(current)] : [],
    };
    const key = parseKey(ep.key);
    if (key.ruleId === undefined) {
      const zone = this.ctx.lookup.zone(key.zoneId);
      const zoneFields = zone ? { zoneId: key.zoneId, zone } : { zoneId: key.zoneId };
      const event: ZoneEvent = {
        type: type === 'open' ? 'enter' : closing ? 'exit' : 'dwell',
        ...timing,
        ...zoneFields,
      };
      this.events.push(event);
      return;
    }
    ep.zones = mergeIds(ep.zones, this.ruleZonesBetween(ep.key, key.ruleId, ep.start, closing ? at : t));
    const zones: ZoneHit[] = [];
    for (const id of ep.zones) {
      const zone = this.ctx.lookup.zone(id);
      if (zone) zones.push(zone);
    }
    const zoneId = ep.zones[0] ?? '';
    const primary = this.ctx.lookup.zone(zoneId);
    const event: VerdictEvent = {
      type: type === 'open' ? 'verdict_open' : closing ? 'verdict_close' : 'verdict_update',
      ...timing,
      ...(primary ? { zoneId, zone: primary } : { zoneId }),
      zones,
      ...ruleRef(key.ruleId, this.ctx.rules),
    };
    this.events.push(event);
  }

  /**
   * The zones where the rule held at the fixes of the history from `from` to `to` carrying its signal, in the order
   * first met: for an `inside` rule the matching zones, for an `outside` rule the jurisdiction.
   */
  private ruleZonesBetween(key: string, ruleId: string, from: number, to: number): string[] {
    const ids: string[] = [];
    for (const h of this.s.history) {
      if (h.t < from) continue;
      if (h.t > to) break;
      const signals = this.signalsOf(h);
      if (!signals.includes(key)) continue;
      for (const id of this.ruleZonesAt(h, signals, ruleId)) if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  private readonly ruleZonesCache = new Map<string, string[]>();

  private ruleZonesAt(h: HistFix, signals: readonly string[], ruleId: string): string[] {
    const cacheKey = `${h.s}|${h.a}|${ruleId}`;
    let ids = this.ruleZonesCache.get(cacheKey);
    if (!ids) {
      const zones: ZoneHit[] = [];
      for (const signal of signals) {
        if (!signal.startsWith(ZONE)) continue;
        const zone = this.ctx.lookup.zone(signal.slice(ZONE.length));
        if (zone) zones.push(zone);
      }
      ids = this.ctx.rules
        .match(this.ctx.machine.category, h.a, zones, this.ctx.machine.declaredUse)
        .filter((m) => m.rule.id === ruleId)
        .map((m) => m.zone.id);
      this.ruleZonesCache.set(cacheKey, ids);
    }
    return ids;
  }

  private revise(ep: Episode, changes: RevisionChange[]): void {
    const key = parseKey(ep.key);
    const event: RevisionEvent = {
      type: 'revised',
      deviceId: this.s.deviceId,
      machineId: this.ctx.machine.machineId,
      detectedAt: this.detectedAt,
      catalogueVersion: ep.catalogueVersion,
      episodeId: ep.id,
      subject: key.ruleId === undefined ? 'zone' : 'verdict',
      zoneId: key.ruleId === undefined ? key.zoneId : (ep.zones?.[0] ?? ''),
      since: ep.start,
      changes,
    };
    if (key.ruleId !== undefined) event.ruleId = key.ruleId;
    if (ep.end !== undefined) event.until = ep.end;
    this.events.push(event);
  }
}

type ParsedKey = { zoneId: string; ruleId?: undefined } | { ruleId: string; zoneId?: undefined };

function parseKey(key: string): ParsedKey {
  if (key.startsWith(ZONE)) return { zoneId: key.slice(ZONE.length) };
  return { ruleId: key.slice(RULE.length) };
}

function mergeIds(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] {
  const out = [...(a ?? [])];
  for (const id of b ?? []) if (!out.includes(id)) out.push(id);
  return out;
}

function ruleRef(ruleId: string, rules: RuleSet): RuleRef {
  const rule = rules.rule(ruleId);
  if (!rule)
    return {
      ruleId,
      verdict: 'violation',
      legalBasis: '',
      title: ruleId,
      titleEn: ruleId,
      description: 'regla que ya no está en el conjunto de reglas',
      descriptionEn: 'rule no longer in the rule set',
    };
  return {
    ruleId,
    verdict: rule.verdict,
    legalBasis: rule.legalBasis,
    title: rule.title,
    titleEn: rule.titleEn,
    description: rule.description,
    descriptionEn: rule.descriptionEn,
  };
}

function segmentActivity(a: Activity, b: Activity): Activity {
  if (a === 'transported' || b === 'transported') return 'transported';
  if (a === 'operating' || b === 'operating') return 'operating';
  return 'idle';
}
