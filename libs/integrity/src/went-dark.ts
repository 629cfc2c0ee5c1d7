import { distanceMeters } from '@app/telemetry';
import {
  alertEvent,
  markReported,
  newRecord,
  reviseRecord,
  updateDue,
  type AlertRecord,
  type Finding,
} from './alerts';
import {
  hasUsablePosition,
  type AlertDetails,
  type EvidenceFix,
  type IntegrityContext,
  type IntegrityEvent,
  type IntegrityFix,
  type IntegrityStatus,
} from './model';
import { categoryParams, darkThresholdMs, type IntegrityParams } from './params';
import { duration, joined, type Said } from './texts';

/**
 * Went dark: the tracker sent no fix for longer than its expected reporting interval × a factor.
 *
 * Coverage is kept as a short list of spans: runs of fixes (in device time) in which no two neighbours are
 * further apart than the dark threshold of the earlier one. Late fixes from the device's buffer are inserted
 * into the spans wherever they belong in device time and may bridge two spans; a dark gap is the silence
 * between two spans, so an alert whose gap gets bridged is retracted, and one whose gap narrows is revised.
 */

/** One fix as the coverage remembers it. */
export interface CoveragePoint {
  t: number;
  rx: number;
  lat: number;
  lon: number;
  /** The position is usable (not 0/0, not "no GNSS fix"). */
  pos: boolean;
  ig?: boolean;
  /** Operating at this fix: ignition on (or unknown), below road speed, not towed. */
  op: boolean;
  id?: string;
}

export interface CoverageSpan {
  from: CoveragePoint;
  to: CoveragePoint;
}

/** A closed went-dark alert kept so that buffered fixes arriving later can revise or retract it. */
export interface ClosedDark {
  record: AlertRecord;
  /** Device time of the first fix after the silence, as reported at the close. */
  reappearedAt: number;
}

export interface DarkState {
  spans: CoverageSpan[];
  closed: ClosedDark[];
}

export function initialDarkState(): DarkState {
  return { spans: [], closed: [] };
}

export interface DarkRun {
  deviceId: string;
  ctx: IntegrityContext;
  now: number;
  events: IntegrityEvent[];
  newAlertId: () => string;
  lastStatus?: IntegrityStatus;
}

export function coveragePoint(fix: IntegrityFix, params: IntegrityParams): CoveragePoint {
  const p: CoveragePoint = {
    t: fix.time,
    rx: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    pos: hasUsablePosition(fix),
    op:
      fix.ignition !== false &&
      fix.towing !== true &&
      !(fix.speedKmh !== undefined && fix.speedKmh >= params.transportSpeedKmh),
  };
  if (fix.ignition !== undefined) p.ig = fix.ignition;
  if (fix.id !== undefined) p.id = fix.id;
  return p;
}

function threshold(point: CoveragePoint, ctx: IntegrityContext): number {
  return darkThresholdMs(categoryParams(ctx.params, ctx.machine), point.ig);
}

/** Index of the span containing device time `t`, or -1. */
export function spanIndexAt(spans: readonly CoverageSpan[], t: number): number {
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i] as CoverageSpan;
    if (s.from.t <= t && t <= s.to.t) return i;
    if (s.to.t < t) return -1;
  }
  return -1;
}

/**
 * Adds a fix to the coverage. Returns the span index the fix ended up in and whether it opened a new span
 * right after what was the newest one (the tracker came back after a silence).
 */
export function addCoverage(
  dark: DarkState,
  point: CoveragePoint,
  ctx: IntegrityContext,
): { afterSilence?: CoveragePoint } {
  const spans = dark.spans;
  let i = 0;
  while (i < spans.length && (spans[i] as CoverageSpan).to.t < point.t) i++;
  const next = spans[i];
  if (next && next.from.t <= point.t) return {};
  const prev = spans[i - 1];
  const joinPrev = prev !== undefined && point.t - prev.to.t <= threshold(prev.to, ctx);
  const joinNext = next !== undefined && next.from.t - point.t <= threshold(point, ctx);
  if (prev && joinPrev && next && joinNext) {
    prev.to = next.to;
    spans.splice(i, 1);
  } else if (prev && joinPrev) {
    prev.to = point;
  } else if (next && joinNext) {
    next.from = point;
  } else {
    spans.splice(i, 0, { from: point, to: point });
    if (prev && !next) return { afterSilence: prev.to };
  }
  return {};
}

/** Drops spans beyond `coverageSpans` or `coverageRetentionMs`, and closed alerts that can no longer change. */
export function boundCoverage(dark: DarkState, params: IntegrityParams, openSince: number | undefined): void {
  const spans = dark.spans;
  const newest = spans[spans.length - 1];
  if (!newest) return;
  const limit = newest.to.t - params.coverageRetentionMs;
  let drop = 0;
  while (
    drop < spans.length - 1 &&
    (spans.length - drop > params.coverageSpans || (spans[drop] as CoverageSpan).to.t < limit) &&
    !(openSince !== undefined && (spans[drop] as CoverageSpan).to.t >= openSince)
  ) {
    drop++;
  }
  if (drop > 0) spans.splice(0, drop);
  const oldest = (spans[0] as CoverageSpan).from.t;
  dark.closed = dark.closed.filter((c) => c.record.since >= oldest).slice(-params.closedDarkAlerts);
}

function pointEvidence(p: CoveragePoint): EvidenceFix {
  const e: EvidenceFix = { deviceTime: p.t, receivedAt: p.rx, lat: p.lat, lon: p.lon };
  if (p.id !== undefined) e.id = p.id;
  if (p.ig !== undefined) e.ignition = p.ig;
  return e;
}

/**
 * The finding for a silence that started after `vanished`: established at `vanished.t + threshold`, lasting
 * until `endsAt` (the first fix after it), or still lasting at platform time `run.now` when `ongoing`.
 */
function darkFinding(
  vanished: CoveragePoint,
  run: DarkRun,
  endsAt?: CoveragePoint,
  ongoing = false,
): Finding {
  const { ctx } = run;
  const limit = threshold(vanished, ctx);
  const details: AlertDetails = {
    lastFixAt: vanished.t,
    thresholdMs: limit,
    ignitionAtLastFix: vanished.ig ?? null,
    operatingAtLastFix: vanished.op,
    lastPositionKnown: vanished.pos,
    nearestProhibitedZoneId: null,
    nearestProhibitedZoneName: null,
    distanceToProhibitedZoneMeters: null,
  };
  if (run.lastStatus) {
    details.lastStatus = run.lastStatus.state;
    details.lastStatusAt = run.lastStatus.receivedAt;
    if (run.lastStatus.reason !== undefined) details.lastStatusReason = run.lastStatus.reason;
  }
  const reasons: Said[] = [];
  if (vanished.pos) {
    const near = ctx.zones.nearestProhibitedZone(vanished.lat, vanished.lon, ctx.params.darkNearZoneMeters);
    if (near && near.distanceMeters <= ctx.params.darkNearZoneMeters) {
      details.nearestProhibitedZoneId = near.zoneId;
      details.nearestProhibitedZoneName = near.zoneName;
      details.distanceToProhibitedZoneMeters = Math.round(near.distanceMeters);
      reasons.push(
        near.distanceMeters === 0
          ? {
              es: `su última posición estaba dentro de ${near.zoneName}`,
              en: `its last position was inside ${near.zoneName}`,
            }
          : {
              es: `su última posición estaba a ${Math.round(near.distanceMeters)} m de ${near.zoneName}`,
              en: `its last position was ${Math.round(near.distanceMeters)} m from ${near.zoneName}`,
            },
      );
    }
  }
  if (vanished.op && ctx.params.darkOperatingIsViolation)
    reasons.push({ es: 'la máquina estaba operando', en: 'the machine was operating' });
  const severity = reasons.length > 0 ? 'violation' : 'warning';
  const ignition: Said =
    vanished.ig === false
      ? { es: 'el encendido apagado', en: 'ignition off' }
      : vanished.ig === true
        ? { es: 'el encendido activo', en: 'ignition on' }
        : { es: 'el encendido desconocido', en: 'ignition unknown' };
  const evidence = [pointEvidence(vanished)];
  const allowed = duration(limit);
  let description: Said;
  if (endsAt) {
    const gap = endsAt.t - vanished.t;
    details.gapMs = gap;
    details.reappearedAt = endsAt.t;
    details.outcome = 'reappeared';
    if (vanished.pos && endsAt.pos) {
      const meters = distanceMeters(vanished.lat, vanished.lon, endsAt.lat, endsAt.lon);
      details.reappearanceDistanceMeters = Math.round(meters);
      details.reappearanceImpliedSpeedKmh = Math.round((meters / Math.max(1, gap / 1000)) * 3.6 * 10) / 10;
    } else {
      details.reappearanceDistanceMeters = null;
      details.reappearanceImpliedSpeedKmh = null;
    }
    evidence.push(pointEvidence(endsAt));
    const silent = duration(gap);
    const moved = details.reappearanceDistanceMeters;
    description = {
      es:
        `El rastreador no envió posiciones durante ${silent.es} (límite ${allowed.es} tras una posición con ${ignition.es})` +
        (moved !== null ? `; reapareció a ${moved} m de donde desapareció` : ''),
      en:
        `The tracker sent no fix for ${silent.en} (limit ${allowed.en} after a fix with ${ignition.en})` +
        (moved !== null ? `; it reappeared ${moved} m from where it vanished` : ''),
    };
  } else {
    details.silentMs = run.now - vanished.t;
    const silent = duration(run.now - vanished.t);
    description = {
      es: `El rastreador no envía posiciones desde hace ${silent.es} (límite ${allowed.es} tras una posición con ${ignition.es})`,
      en: `The tracker has sent no fix for ${silent.en} (limit ${allowed.en} after a fix with ${ignition.en})`,
    };
  }
  if (reasons.length > 0) {
    const why = joined(reasons, ' y ', ' and ');
    description = { es: `${description.es}; ${why.es}`, en: `${description.en}; ${why.en}` };
  }
  const established = vanished.t + limit;
  return {
    severity,
    cause: 'no_fix',
    since: vanished.t,
    at: endsAt ? endsAt.t : ongoing ? Math.max(established, run.now) : established,
    description: description.es,
    descriptionEn: description.en,
    evidence,
    details,
  };
}

/**
 * Resolves the open went-dark alert after a fix was added: closed when fixes came after the silence
 * (with the gap and where the machine reappeared), retracted when buffered fixes covered the whole silence
 * up to the present. Returns the alert if it is still open.
 */
export function resolveOpenDark(
  dark: DarkState,
  open: AlertRecord,
  run: DarkRun,
  allowUpdate: boolean,
): AlertRecord | undefined {
  const { ctx, now } = run;
  const i = spanIndexAt(dark.spans, open.since);
  if (i < 0) return open;
  const span = dark.spans[i] as CoverageSpan;
  const next = dark.spans[i + 1];
  if (next) {
    reviseRecord(open, darkFinding(span.to, run, next.from), ctx);
    run.events.push(alertEvent('integrity_close', open, run.deviceId, ctx, now, { at: next.from.t }));
    dark.closed.push({ record: open, reappearedAt: next.from.t });
    return undefined;
  }
  if (now - span.to.t <= threshold(span.to, ctx)) {
    run.events.push(retraction('integrity_close', open, span, run));
    return undefined;
  }
  if (allowUpdate && (span.to.t > open.since || updateDue(open, now, ctx))) {
    reviseRecord(open, darkFinding(span.to, run, undefined, true), ctx);
    run.events.push(alertEvent('integrity_update', open, run.deviceId, ctx, now));
    markReported(open, now);
  }
  return open;
}

function retraction(
  type: 'integrity_close' | 'integrity_update',
  record: AlertRecord,
  span: CoverageSpan,
  run: DarkRun,
): IntegrityEvent {
  return alertEvent(type, record, run.deviceId, run.ctx, run.now, {
    at: span.to.t,
    retracted: true,
    description: `Retirada: posiciones del búfer del rastreador, llegadas con retraso, cubren todo el silencio (ningún vacío mayor de ${duration(threshold(span.to, run.ctx)).es})`,
    descriptionEn: `Retracted: fixes from the tracker's buffer, delivered late, cover the whole silence (no gap over ${duration(threshold(span.to, run.ctx)).en})`,
    details: { outcome: 'covered_by_buffered_fixes', coveredUntil: span.to.t },
  });
}

/** Re-judges closed alerts after a fix was added: a bridged gap is retracted, a narrowed one revised. */
export function reviseClosedDark(dark: DarkState, run: DarkRun): void {
  const kept: ClosedDark[] = [];
  for (const closed of dark.closed) {
    const i = spanIndexAt(dark.spans, closed.record.since);
    const k = spanIndexAt(dark.spans, closed.reappearedAt);
    if (i < 0 || k < 0) {
      kept.push(closed);
      continue;
    }
    const span = dark.spans[i] as CoverageSpan;
    if (i === k) {
      run.events.push(retraction('integrity_update', closed.record, span, run));
      continue;
    }
    const back = dark.spans[k] as CoverageSpan;
    if (span.to.t !== closed.record.since || back.from.t !== closed.reappearedAt) {
      const finding = darkFinding(span.to, run, back.from);
      let uncovered = 0;
      for (let j = i; j < k; j++)
        uncovered += (dark.spans[j + 1] as CoverageSpan).from.t - (dark.spans[j] as CoverageSpan).to.t;
      finding.details.uncoveredMs = uncovered;
      finding.details.revisedByBufferedFixes = true;
      reviseRecord(closed.record, finding, run.ctx);
      closed.reappearedAt = back.from.t;
      run.events.push(alertEvent('integrity_update', closed.record, run.deviceId, run.ctx, run.now));
    }
    kept.push(closed);
  }
  dark.closed = kept;
}

/**
 * Opens a went-dark alert if the newest coverage ended longer ago than the threshold. A tracker whose newest fix
 * arrived within the threshold is delivering its buffer (back in coverage after hours without, or a first upload
 * of its history): it is not silent, and what its buffer shows is judged once it is delivered.
 */
export function openDarkIfSilent(dark: DarkState, run: DarkRun): AlertRecord | undefined {
  const newest = dark.spans[dark.spans.length - 1];
  if (!newest) return undefined;
  const limit = threshold(newest.to, run.ctx);
  if (run.now - newest.to.t <= limit || run.now - newest.to.rx <= limit) return undefined;
  const record = newRecord(run.newAlertId(), 'went_dark', darkFinding(newest.to, run), run.ctx, run.now);
  run.events.push(alertEvent('integrity_open', record, run.deviceId, run.ctx, run.now));
  return record;
}

/**
 * The tracker came back after a silence nobody had swept (no alert open): the silence is reported now,
 * opened and closed at once, if the platform really heard nothing for longer than the threshold.
 */
export function reportMissedSilence(
  dark: DarkState,
  vanished: CoveragePoint,
  back: CoveragePoint,
  run: DarkRun,
): void {
  if (back.rx - vanished.t <= threshold(vanished, run.ctx)) return;
  const open = newRecord(
    run.newAlertId(),
    'went_dark',
    darkFinding(vanished, { ...run, now: back.rx }),
    run.ctx,
    run.now,
  );
  run.events.push(alertEvent('integrity_open', open, run.deviceId, run.ctx, run.now));
  resolveOpenDark(dark, open, run, false);
}
