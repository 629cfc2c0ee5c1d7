import type {
  DeclaredWindow,
  IntegrityContext,
  IntegrityEvent,
  IntegrityFix,
  MachineCategory,
} from '../model';
import {
  initialIntegrityState,
  integrityStep,
  integritySweep,
  parseIntegrityState,
  type IntegrityState,
} from '../monitor';
import { integrityParams, type IntegrityParamsOverrides } from '../params';
import { ShapeProximity, type Place } from './places';

export const T0 = Date.UTC(2026, 10, 24, 5, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function context(
  category: MachineCategory,
  options: { windows?: DeclaredWindow[]; params?: IntegrityParamsOverrides; deviceId?: string } = {},
): IntegrityContext {
  return {
    deviceId: options.deviceId ?? `trk-${category}`,
    machine: { machineId: `machine-${category}`, category },
    params: integrityParams(options.params),
    windows: options.windows ?? [],
    zones: new ShapeProximity(),
  };
}

/** A healthy fix of a working machine at `place`, taken at `t`, received 3 s later. */
export function fixAt(t: number, place: Place, extra: Partial<IntegrityFix> = {}): IntegrityFix {
  return {
    id: `pos-${t}`,
    time: t,
    receivedAt: t + 3 * SECOND,
    lat: place.lat,
    lon: place.lon,
    speedKmh: 2,
    ignition: true,
    hdop: 0.9,
    satellites: 11,
    externalVoltageV: 27.6,
    events: [],
    flags: [],
    ...extra,
  };
}

/** Fixes every `everyMs` from `start`, at the places given (one per fix). */
export function track(
  start: number,
  places: readonly Place[],
  everyMs = MINUTE,
  extra: Partial<IntegrityFix> = {},
): IntegrityFix[] {
  return places.map((p, i) => fixAt(start + i * everyMs, p, extra));
}

export function repeat<T>(value: T, n: number): T[] {
  return Array.from({ length: n }, () => value);
}

/** What reaches the monitor: a fix, or a periodic sweep at platform time `now`. */
export type Action = { fix: IntegrityFix } | { sweep: number };

/**
 * Feeds the actions to the monitor in the order given. The state goes through JSON between every call,
 * as it does through Redis, so a state that is not plain JSON fails the scenario.
 */
export function drive(
  actions: readonly Action[],
  ctx: IntegrityContext,
  start?: IntegrityState,
): { state: IntegrityState; events: IntegrityEvent[]; maxStateBytes: number } {
  let state = start ?? initialIntegrityState(ctx.deviceId);
  const events: IntegrityEvent[] = [];
  let maxStateBytes = 0;
  for (const action of actions) {
    const result =
      'fix' in action
        ? integrityStep(state, { type: 'fix', fix: action.fix }, ctx)
        : integritySweep(state, action.sweep, ctx);
    events.push(...result.events);
    const json = JSON.stringify(result.state);
    maxStateBytes = Math.max(maxStateBytes, json.length);
    state = parseIntegrityState(json, ctx.deviceId);
  }
  return { state, events, maxStateBytes };
}

/**
 * The fixes as live traffic: each fix arrives at its `receivedAt`, and a sweep runs every `sweepEveryMs`
 * of platform time in between, in time order.
 */
export function live(fixes: readonly IntegrityFix[], sweepEveryMs = MINUTE, until?: number): Action[] {
  const sorted = [...fixes].sort((a, b) => a.receivedAt - b.receivedAt);
  const first = sorted[0];
  if (!first) return [];
  const last = until ?? (sorted[sorted.length - 1] as IntegrityFix).receivedAt;
  const actions: Action[] = [];
  let i = 0;
  for (
    let now = Math.ceil(first.receivedAt / sweepEveryMs) * sweepEveryMs;
    now <= last;
    now += sweepEveryMs
  ) {
    while (i < sorted.length && (sorted[i] as IntegrityFix).receivedAt <= now)
      actions.push({ fix: sorted[i++] as IntegrityFix });
    actions.push({ sweep: now });
  }
  while (i < sorted.length) actions.push({ fix: sorted[i++] as IntegrityFix });
  return actions;
}

export function ofKind(events: readonly IntegrityEvent[], kind: IntegrityEvent['kind']): IntegrityEvent[] {
  return events.filter((e) => e.kind === kind);
}

/** Alerts as a consumer holds them after applying the events: open, closed or retracted, by alert id. */
export function alertOutcomes(
  events: readonly IntegrityEvent[],
): Map<string, 'open' | 'closed' | 'retracted'> {
  const out = new Map<string, 'open' | 'closed' | 'retracted'>();
  for (const e of events) {
    if (e.retracted) out.set(e.alertId, 'retracted');
    else if (e.type === 'integrity_open') out.set(e.alertId, 'open');
    else if (e.type === 'integrity_close' && out.get(e.alertId) !== 'retracted') out.set(e.alertId, 'closed');
  }
  return out;
}
