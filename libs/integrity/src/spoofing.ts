import { MACHINE_CATEGORY_NAMES_ES } from '@app/registry';
import { distanceMeters } from '@app/telemetry';
import type { Finding, Observation } from './alerts';
import { evidenceOf, hasUsablePosition, type IntegrityFix, type MachineCategory } from './model';
import { categoryParams, type IntegrityParams } from './params';
import type { Said } from './texts';

/**
 * Spoofing: positions or clocks that cannot be true.
 *
 * - `impossible_speed` / `teleport`: the implied speed from the neighbouring fix in device time exceeds the
 *   category's `maxPlausibleSpeedKmh` over a jump of at least `spoofMinJumpMeters` (a teleport from
 *   `teleportMeters`); also a fix the decoder flagged `impossible_speed` when no recent trusted position is
 *   there to compare it with. A fix judged impossible is not
 *   used as the reference for the next one, so one wild fix does not also condemn the good fix after it.
 * - `frozen_position`: fixes identical to `identicalDecimals` decimals for `identicalMs` (and at least
 *   `identicalMinFixes` fixes) while ignition is on: a real receiver always scatters a little.
 * - `clock_ahead_of_arrival`: the device clock is more than `clockSkewToleranceMs` ahead of the time the
 *   platform received the fix (or the decoder flagged `future_time`). Fixes arriving late are normal
 *   (buffered delivery) and never count.
 * - `clock_vs_sequence`: the sequence number went forward (by at most `maxSequenceStep`) while the device
 *   clock went back by more than `clockSkewToleranceMs`. A sequence that restarts is a reboot, not spoofing.
 *
 * Every indication is a warning; `spoofEscalateAfter` indications in one alert, or a frozen position, make it
 * a violation. Closed after `spoofClearMs` of device time without an indication.
 */

interface RecentPosition {
  t: number;
  lat: number;
  lon: number;
}

export interface SpoofingState {
  newest: number | null;
  /** Recent trusted positions, in device-time order. */
  recent: RecentPosition[];
  /** The current run of identical positions with ignition on. */
  frozen: { lat: number; lon: number; since: number; fixes: number } | null;
  /** Highest sequence number seen and the device time of that fix. */
  sequence: { n: number; t: number } | null;
  lastIndication: number | null;
}

export function initialSpoofingState(): SpoofingState {
  return { newest: null, recent: [], frozen: null, sequence: null, lastIndication: null };
}

const kmh = (meters: number, ms: number): number => (meters / Math.max(1, ms / 1000)) * 3.6;

export function observeSpoofing(
  s: SpoofingState,
  fix: IntegrityFix,
  category: MachineCategory,
  p: IntegrityParams,
): Observation | undefined {
  const inOrder = s.newest === null || fix.time > s.newest;
  if (inOrder) s.newest = fix.time;
  const findings: Finding[] = [];
  const found = (
    severity: Finding['severity'],
    cause: string,
    description: Said,
    details: Finding['details'],
  ) =>
    findings.push({
      severity,
      cause,
      since: fix.time,
      at: fix.time,
      description: description.es,
      descriptionEn: description.en,
      evidence: [evidenceOf(fix)],
      details,
    });

  // Clocks.
  const ahead = fix.time - fix.receivedAt;
  if (ahead > p.clockSkewToleranceMs || fix.flags.includes('future_time')) {
    found(
      'warning',
      'clock_ahead_of_arrival',
      {
        es: `El reloj del dispositivo va ${Math.round(ahead / 60_000)} min adelantado respecto de la llegada de la posición`,
        en: `The device clock is ${Math.round(ahead / 60_000)} min ahead of the time the fix arrived`,
      },
      { clockAheadMs: ahead },
    );
  }
  if (fix.sequence !== undefined) {
    const ref = s.sequence;
    const step = ref ? fix.sequence - ref.n : 0;
    if (ref && step > 0 && step <= p.maxSequenceStep && fix.time < ref.t - p.clockSkewToleranceMs) {
      found(
        'warning',
        'clock_vs_sequence',
        {
          es: `La secuencia ${fix.sequence} sigue a ${ref.n} pero su hora del dispositivo es ${Math.round((ref.t - fix.time) / 60_000)} min anterior`,
          en: `Sequence ${fix.sequence} follows ${ref.n} but its device time is ${Math.round((ref.t - fix.time) / 60_000)} min earlier`,
        },
        { sequence: fix.sequence, previousSequence: ref.n, clockBackMs: ref.t - fix.time },
      );
      s.sequence = { n: fix.sequence, t: ref.t };
    } else if (!ref || step > 0 || (step < 0 && fix.time > ref.t)) {
      // Forward in both, or a restart of the counter (lower number, later time): the new reference.
      s.sequence = { n: fix.sequence, t: fix.time };
    }
  }

  // Positions.
  if (hasUsablePosition(fix)) {
    const c = categoryParams(p, category);
    const before = [...s.recent].reverse().find((r) => r.t < fix.time);
    const after = s.recent.find((r) => r.t > fix.time);
    const neighbour = before ?? after;
    let impossible = false;
    if (neighbour && neighbour.t !== fix.time) {
      const meters = distanceMeters(neighbour.lat, neighbour.lon, fix.lat, fix.lon);
      const speed = kmh(meters, Math.abs(fix.time - neighbour.t));
      if (meters >= p.spoofMinJumpMeters && speed > c.maxPlausibleSpeedKmh) {
        impossible = true;
        const teleport = meters >= p.teleportMeters;
        const km = (meters / 1000).toFixed(1);
        const seconds = Math.round(Math.abs(fix.time - neighbour.t) / 1000);
        found(
          'warning',
          teleport ? 'teleport' : 'impossible_speed',
          {
            es: `${teleport ? 'Teletransporte: ' : ''}la posición saltó ${km.replace('.', ',')} km en ${seconds} s (${Math.round(speed)} km/h; el máximo plausible para una máquina de tipo ${MACHINE_CATEGORY_NAMES_ES[category]} es ${c.maxPlausibleSpeedKmh} km/h)`,
            en: `${teleport ? 'Teleport: ' : ''}the position jumped ${km} km in ${seconds} s (${Math.round(speed)} km/h; a ${category.replace('_', ' ')} cannot exceed ${c.maxPlausibleSpeedKmh} km/h)`,
          },
          {
            jumpMeters: Math.round(meters),
            impliedSpeedKmh: Math.round(speed),
            maxPlausibleSpeedKmh: c.maxPlausibleSpeedKmh,
            fromDeviceTime: neighbour.t,
          },
        );
      }
    }
    // The decoder judged the fix against the newest stored fix, which may itself be a wild one; a recent
    // trusted neighbour is the better reference, so the flag counts only when there is none.
    if (!impossible && !neighbour && fix.flags.includes('impossible_speed')) {
      impossible = true;
      found(
        'warning',
        'impossible_speed',
        {
          es: 'El decodificador marcó la posición: su velocidad implícita es imposible',
          en: 'The decoder flagged the fix: its implied speed is impossible',
        },
        {},
      );
    }
    if (!impossible && fix.flags.length === 0) insertRecent(s, fix, p.recentPositions);

    if (inOrder) {
      const scale = 10 ** p.identicalDecimals;
      const lat = Math.round(fix.lat * scale);
      const lon = Math.round(fix.lon * scale);
      const f = s.frozen;
      if (fix.ignition === true && f && f.lat === lat && f.lon === lon) {
        f.fixes++;
        const span = fix.time - f.since;
        if (span >= p.identicalMs && f.fixes >= p.identicalMinFixes) {
          found(
            'violation',
            'frozen_position',
            {
              es: `${f.fixes} posiciones idénticas hasta ${p.identicalDecimals} decimales durante ${(span / 3_600_000).toFixed(1).replace('.', ',')} h con el encendido activo`,
              en: `${f.fixes} fixes identical to ${p.identicalDecimals} decimals for ${(span / 3_600_000).toFixed(1)} h with ignition on`,
            },
            { identicalFixes: f.fixes, identicalMs: span },
          );
          (findings[findings.length - 1] as Finding).since = f.since;
        }
      } else {
        s.frozen = fix.ignition === true ? { lat, lon, since: fix.time, fixes: 1 } : null;
      }
    }
  }

  if (findings.length > 0) {
    s.lastIndication = Math.max(s.lastIndication ?? fix.time, fix.time);
    const worst = findings.find((f) => f.severity === 'violation') ?? (findings[0] as Finding);
    if (findings.length > 1) {
      worst.description = findings.map((f) => f.description).join('; ');
      worst.descriptionEn = findings.map((f) => f.descriptionEn).join('; ');
      worst.details = Object.assign({}, ...findings.map((f) => f.details), {
        causes: findings.map((f) => f.cause).join(','),
      }) as Finding['details'];
    }
    return { type: 'raise', finding: worst };
  }
  if (inOrder && s.lastIndication !== null && fix.time - s.lastIndication >= p.spoofClearMs) {
    return {
      type: 'clear',
      clearing: {
        at: fix.time,
        description: `Sin indicios de posición falseada durante ${Math.round((fix.time - s.lastIndication) / 60_000)} min`,
        descriptionEn: `No spoofing indication for ${Math.round((fix.time - s.lastIndication) / 60_000)} min`,
        evidence: [evidenceOf(fix)],
        details: { lastIndicationAt: s.lastIndication },
      },
    };
  }
  return undefined;
}

function insertRecent(s: SpoofingState, fix: IntegrityFix, max: number): void {
  const r: RecentPosition = { t: fix.time, lat: fix.lat, lon: fix.lon };
  let i = s.recent.length;
  while (i > 0 && (s.recent[i - 1] as RecentPosition).t > r.t) i--;
  if (s.recent[i - 1]?.t === r.t) return;
  s.recent.splice(i, 0, r);
  if (s.recent.length > max) s.recent.splice(0, s.recent.length - max);
}
