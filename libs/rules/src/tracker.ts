import type { Activity, FixRef } from './model';
import type { StreamParams } from './params';

/** A fix as kept in the device state: what it said and what it meant, without a second lookup. */
export interface HistFix {
  t: number;
  rx: number;
  lat: number;
  lon: number;
  /** Weight from the fix quality (see `fixWeight`). */
  w: number;
  a: Activity;
  /** Transported fixes: event time of the latest fix at road speed or towed of this transport. */
  ta?: number;
  /**
   * Signals holding at the fix, as an index into the device's table of signal sets: `z|<zoneId>` for
   * each zone, `r|<ruleId>|<zoneId>` for each rule.
   */
  s: number;
  /** Zones crossed on the segment from the previous fix. */
  x?: string[];
  id?: string;
  hdop?: number;
}

/** Presence of one signal (a zone, or a rule in a zone), from confirmation to confirmed end. */
export interface Episode {
  id: string;
  key: string;
  start: number;
  confirmedAt: number;
  fixes: FixRef[];
  lastInside: number;
  nextDwell: number;
  catalogueVersion: string;
  end?: number;
  endConfirmedAt?: number;
  endFixes?: FixRef[];
  /** Rule episodes: the zones where the rule held, as reported so far (first met first). */
  zones?: string[];
}

/** Fixes disagreeing with the confirmed state, gathered until they confirm the change or give up. */
export interface Run {
  start: number;
  weight: number;
  /** Weight of the agreeing fixes seen since the run started. */
  contrary: number;
  /** Weight of the agreeing fixes since the last disagreeing one. */
  streak: number;
  fixes: FixRef[];
}

/** One signal's debounced state: `ep` present means confirmed presence. */
export interface KeyState {
  ep?: Episode;
  run?: Run;
}

export type Keys = Record<string, KeyState>;

export interface Transition {
  type: 'open' | 'dwell' | 'close';
  episode: Episode;
  /** Time of the fix that caused the transition. */
  t: number;
}

export interface AdvanceContext {
  params: StreamParams;
  catalogueVersion: string;
  newEpisodeId(key: string, start: number): string;
}

export function fixRef(h: HistFix): FixRef {
  const ref: FixRef = { time: h.t, receivedAt: h.rx, lat: h.lat, lon: h.lon };
  if (h.id !== undefined) ref.id = h.id;
  if (h.hdop !== undefined) ref.hdop = h.hdop;
  return ref;
}

/** Feed one fix (in event-time order) to every signal's state. */
export function advanceAll(
  keys: Keys,
  h: HistFix,
  signals: readonly string[],
  ctx: AdvanceContext,
  out: Transition[],
): void {
  for (const key in keys) {
    const next = advanceKey(key, keys[key], signals.includes(key), h, ctx, out);
    if (next) keys[key] = next;
    else delete keys[key];
  }
  for (const key of signals) {
    if (keys[key] !== undefined) continue;
    const next = advanceKey(key, undefined, true, h, ctx, out);
    if (next) keys[key] = next;
  }
}

/**
 * The hysteresis of one signal. A run of fixes disagreeing with the confirmed state changes it once
 * its weight reaches `enterFixes` / `exitFixes`, it spans `enterMs` / `exitMs`, and it outweighs the
 * agreeing fixes met on the way `dominance` times; `breakFixes` of consecutive agreeing weight
 * abandon it. A single jittery fix therefore neither opens nor closes anything.
 */
export function advanceKey(
  key: string,
  ks: KeyState | undefined,
  present: boolean,
  h: HistFix,
  ctx: AdvanceContext,
  out: Transition[],
): KeyState | undefined {
  const p = ctx.params;
  const ep = ks?.ep;
  const on = ep !== undefined;
  const t = h.t;
  if (present === on) {
    if (ep) {
      ep.lastInside = t;
      if (t >= ep.nextDwell) {
        out.push({ type: 'dwell', episode: ep, t });
        ep.nextDwell = nextDwellMark(ep.start, t, p.dwellEveryMs);
      }
    }
    const run = ks?.run;
    if (ks && run) {
      run.contrary += h.w;
      run.streak += h.w;
      if (run.streak >= p.breakFixes) delete ks.run;
    }
    return ks && (ks.ep || ks.run) ? ks : undefined;
  }
  const state: KeyState = ks ?? {};
  let run = state.run;
  if (!run) {
    run = { start: t, weight: 0, contrary: 0, streak: 0, fixes: [] };
    state.run = run;
  }
  run.weight += h.w;
  run.streak = 0;
  addEvidence(run.fixes, fixRef(h), p.evidenceFixes);
  const needFixes = on ? p.exitFixes : p.enterFixes;
  const needMs = on ? p.exitMs : p.enterMs;
  if (run.weight < needFixes || t - run.start < needMs || run.weight < p.dominance * run.contrary)
    return state;
  if (!ep) {
    const opened: Episode = {
      id: ctx.newEpisodeId(key, run.start),
      key,
      start: run.start,
      confirmedAt: t,
      fixes: run.fixes,
      lastInside: t,
      nextDwell: nextDwellMark(run.start, t, p.dwellEveryMs),
      catalogueVersion: ctx.catalogueVersion,
    };
    out.push({ type: 'open', episode: opened, t });
    return { ep: opened };
  }
  ep.end = run.start;
  ep.endConfirmedAt = t;
  ep.endFixes = run.fixes;
  out.push({ type: 'close', episode: ep, t });
  return undefined;
}

function nextDwellMark(start: number, t: number, every: number): number {
  return start + (Math.floor((t - start) / every) + 1) * every;
}

/** Keep the first fixes of a run and always the latest one. */
function addEvidence(fixes: FixRef[], ref: FixRef, max: number): void {
  if (fixes.length < max) fixes.push(ref);
  else fixes[max - 1] = ref;
}
