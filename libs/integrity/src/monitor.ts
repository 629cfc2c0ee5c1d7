/**
 * The integrity monitor: every detector over the stream of one tracker.
 *
 * Call contract (for the ingest):
 *
 * - `integrityStep(state, input, ctx)` once per decoded fix (after it is stored, trusted or flagged, in the
 *   order the fixes are taken from the message) and once per status message. `input.fix.receivedAt` is the
 *   platform time of the message; it is the step's "now". A fix flagged `clock` (its device time cannot be
 *   placed: far from its receipt, or before the tracker was bound) passes every detector by: its time would
 *   open a dark period decades or days long, or place the machine where it was not.
 * - `integritySweep(state, now, ctx)` periodically for every tracker with a state (every minute is plenty:
 *   the shortest default dark threshold is 15 min). It is the only thing that notices a tracker that went
 *   silent, since no message arrives then.
 * - `state` is the value returned by the previous call (or undefined for a new tracker); it is plain JSON,
 *   bounded in size. Store it with `JSON.stringify` and read it back with `parseIntegrityState`. Both
 *   functions take over the given state and return it updated.
 * - `ctx.windows` are the machine's declared windows (not cancelled) overlapping the recent past, e.g. the
 *   last 30 days up to now + 1 day; `ctx.zones` answers the nearest prohibited zone (geofence index).
 * - Events: one open alert per machine × kind at a time. `integrity_open` → insert a violation row
 *   (zone_kind `integrity`, zone_id `integrity:<kind>`, rule_id `event.ruleId`, keyed by `alertId`) and
 *   outbox `integrity.opened`; `integrity_update` → update it (`integrity.updated`); `integrity_close` →
 *   close it (`integrity.closed`). `retracted: true` (on a close, or on an update of a closed alert) means
 *   the alert turned out not to hold: mark the row retracted.
 * - Deterministic: no clock is read; the same state, input and context give the same result.
 */
import { hasUntrustedClock } from '@app/telemetry';
import {
  alertEvent,
  markReported,
  mergeFinding,
  newRecord,
  updateDue,
  type AlertRecord,
  type Observation,
} from './alerts';
import { observeJamming, initialJammingState, type JammingState } from './gnss-jamming';
import type {
  IntegrityContext,
  IntegrityEvent,
  IntegrityFix,
  IntegrityInput,
  IntegrityKind,
  IntegrityResult,
  IntegrityStatus,
} from './model';
import {
  initialPowerState,
  initialTamperState,
  observePower,
  observeTamper,
  type PowerState,
  type TamperState,
} from './power-tamper';
import { initialSpoofingState, observeSpoofing, type SpoofingState } from './spoofing';
import {
  addCoverage,
  boundCoverage,
  coveragePoint,
  initialDarkState,
  openDarkIfSilent,
  reportMissedSilence,
  resolveOpenDark,
  reviseClosedDark,
  type DarkRun,
  type DarkState,
} from './went-dark';

export const INTEGRITY_STATE_VERSION = 1;

/** Everything the detectors remember about one tracker, as plain JSON. */
export interface IntegrityState {
  v: typeof INTEGRITY_STATE_VERSION;
  deviceId: string;
  /** Alerts numbered so far (alert ids are `<deviceId>:integrity:<n>`). */
  seq: number;
  /** At most one open alert per kind. */
  open: Partial<Record<IntegrityKind, AlertRecord>>;
  lastStatus?: IntegrityStatus;
  dark: DarkState;
  power: PowerState;
  tamper: TamperState;
  jamming: JammingState;
  spoofing: SpoofingState;
}

export function initialIntegrityState(deviceId: string): IntegrityState {
  return {
    v: INTEGRITY_STATE_VERSION,
    deviceId,
    seq: 0,
    open: {},
    dark: initialDarkState(),
    power: initialPowerState(),
    tamper: initialTamperState(),
    jamming: initialJammingState(),
    spoofing: initialSpoofingState(),
  };
}

/** Parse a state read back from storage; throws on another format version or another device. */
export function parseIntegrityState(json: string, deviceId?: string): IntegrityState {
  return checkIntegrityState(JSON.parse(json), deviceId);
}

/** An integrity state read back as a JSON value (inside a larger document); throws on another version or device. */
export function checkIntegrityState(value: unknown, deviceId?: string): IntegrityState {
  const state = value as IntegrityState;
  if (state?.v !== INTEGRITY_STATE_VERSION)
    throw new Error(`integrity state version ${String(state?.v)} is not ${INTEGRITY_STATE_VERSION}`);
  if (deviceId !== undefined && state.deviceId !== deviceId)
    throw new Error(`integrity state of ${state.deviceId} read for ${deviceId}`);
  return state;
}

/** Keys of the alerts currently open (machine × kind), for the caller's bookkeeping and tests. */
export function openAlerts(state: IntegrityState): AlertRecord[] {
  return Object.values(state.open).filter((r): r is AlertRecord => r !== undefined);
}

/** Runs every detector on one fix or status message of the tracker whose state this is. */
export function integrityStep(
  state: IntegrityState | undefined,
  input: IntegrityInput,
  ctx: IntegrityContext,
): IntegrityResult<IntegrityState> {
  const s = state ?? initialIntegrityState(ctx.deviceId);
  if (s.deviceId !== ctx.deviceId)
    throw new Error(`input of device ${ctx.deviceId} given the integrity state of ${s.deviceId}`);
  const events: IntegrityEvent[] = [];
  if (input.type === 'status') {
    s.lastStatus = { ...input.status };
    return { state: s, events };
  }
  const fix = input.fix;
  if (hasUntrustedClock(fix)) return { state: s, events };
  const now = fix.receivedAt;
  stepDark(s, fix, ctx, now, events);
  apply(s, 'power_cut', observePower(s.power, fix, ctx.params), ctx, now, events);
  apply(s, 'tamper', observeTamper(s.tamper, fix, ctx.params), ctx, now, events);
  apply(s, 'gnss_jamming', observeJamming(s.jamming, fix, ctx.params), ctx, now, events);
  apply(s, 'spoofing', observeSpoofing(s.spoofing, fix, ctx.machine.category, ctx.params), ctx, now, events);
  return { state: s, events };
}

/** Time-driven detection at platform time `now`: opens (or updates) went-dark alerts of silent trackers. */
export function integritySweep(
  state: IntegrityState,
  now: number,
  ctx: IntegrityContext,
): IntegrityResult<IntegrityState> {
  if (state.deviceId !== ctx.deviceId)
    throw new Error(`sweep of device ${ctx.deviceId} given the integrity state of ${state.deviceId}`);
  const events: IntegrityEvent[] = [];
  const run = darkRun(state, ctx, now, events);
  const open = state.open.went_dark;
  if (open) setOpen(state, 'went_dark', resolveOpenDark(state.dark, open, run, true));
  else setOpen(state, 'went_dark', openDarkIfSilent(state.dark, run));
  return { state, events };
}

function darkRun(s: IntegrityState, ctx: IntegrityContext, now: number, events: IntegrityEvent[]): DarkRun {
  const run: DarkRun = {
    deviceId: s.deviceId,
    ctx,
    now,
    events,
    newAlertId: () => `${s.deviceId}:integrity:${++s.seq}`,
  };
  if (s.lastStatus) run.lastStatus = s.lastStatus;
  return run;
}

function setOpen(s: IntegrityState, kind: IntegrityKind, record: AlertRecord | undefined): void {
  if (record) s.open[kind] = record;
  else delete s.open[kind];
}

function stepDark(
  s: IntegrityState,
  fix: IntegrityFix,
  ctx: IntegrityContext,
  now: number,
  events: IntegrityEvent[],
): void {
  const run = darkRun(s, ctx, now, events);
  const point = coveragePoint(fix, ctx.params);
  const { afterSilence } = addCoverage(s.dark, point, ctx);
  const open = s.open.went_dark;
  if (open) setOpen(s, 'went_dark', resolveOpenDark(s.dark, open, run, false));
  else if (afterSilence) reportMissedSilence(s.dark, afterSilence, point, run);
  reviseClosedDark(s.dark, run);
  boundCoverage(s.dark, ctx.params, s.open.went_dark?.since);
}

function apply(
  s: IntegrityState,
  kind: Exclude<IntegrityKind, 'went_dark'>,
  observation: Observation | undefined,
  ctx: IntegrityContext,
  now: number,
  events: IntegrityEvent[],
): void {
  if (!observation) return;
  const open = s.open[kind];
  if (observation.type === 'clear') {
    if (!open) return;
    const { clearing } = observation;
    events.push(
      alertEvent('integrity_close', open, s.deviceId, ctx, now, {
        at: clearing.at,
        description: `${open.description}. Terminó: ${clearing.description}`,
        descriptionEn: `${open.descriptionEn ?? open.description}. Ended: ${clearing.descriptionEn}`,
        evidence: [...open.evidence, ...clearing.evidence].slice(-ctx.params.evidenceFixes),
        details: { ...clearing.details, endedAt: clearing.at },
      }),
    );
    delete s.open[kind];
    return;
  }
  const { finding } = observation;
  if (!open) {
    const record = newRecord(`${s.deviceId}:integrity:${++s.seq}`, kind, finding, ctx, now);
    s.open[kind] = record;
    events.push(alertEvent('integrity_open', record, s.deviceId, ctx, now));
    return;
  }
  mergeFinding(open, finding, ctx);
  if (
    kind === 'spoofing' &&
    open.observations >= ctx.params.spoofEscalateAfter &&
    open.detectedSeverity !== 'violation'
  ) {
    mergeFinding(
      open,
      {
        ...finding,
        severity: 'violation',
        cause: 'repeated_indications',
        description: `${open.observations} indicios de posición falseada: ${finding.description}`,
        descriptionEn: `${open.observations} spoofing indications: ${finding.descriptionEn}`,
      },
      ctx,
    );
    open.observations--;
  }
  open.details.observations = open.observations;
  if (updateDue(open, now, ctx)) {
    events.push(alertEvent('integrity_update', open, s.deviceId, ctx, now));
    markReported(open, now);
  }
}
