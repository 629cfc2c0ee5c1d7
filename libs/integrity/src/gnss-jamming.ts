import type { Observation } from './alerts';
import { evidenceOf, type EvidenceFix, type IntegrityFix } from './model';
import type { IntegrityParams } from './params';
import type { Said } from './texts';

/**
 * GNSS jamming, from the tracker's own jamming reports (Teltonika I/O 318 warning / critical, I/O 249 for
 * cellular jamming, the `gnss_jamming` / `gsm_jamming` events) and from positioning quality that collapses
 * while the tracker keeps reporting: `jamMinFixes` consecutive fixes with at most `jamMaxSatellites`
 * satellites, an HDOP above `jamMinHdop`, no GNSS fix or a `gnss_lost` event, spanning `jamMinMs`, starting
 * within `jamCollapseWithinMs` of a good fix. A tracker that has always had a poor sky (never a good fix
 * shortly before) does not count as jammed. Closed after `jamClearFixes` consecutive good fixes without a
 * jamming report.
 */

export interface JammingState {
  newest: number | null;
  /** Device time of the latest good fix. */
  lastGood: number | null;
  /** The current run of collapsed fixes. */
  poorSince: number | null;
  poorFixes: number;
  poorEvidence: EvidenceFix[];
  goodFixes: number;
}

export function initialJammingState(): JammingState {
  return { newest: null, lastGood: null, poorSince: null, poorFixes: 0, poorEvidence: [], goodFixes: 0 };
}

function collapsed(fix: IntegrityFix, p: IntegrityParams): boolean {
  return (
    fix.flags.includes('no_gnss_fix') ||
    fix.events.includes('gnss_lost') ||
    (fix.satellites !== undefined && fix.satellites <= p.jamMaxSatellites) ||
    (fix.hdop !== undefined && fix.hdop > p.jamMinHdop)
  );
}

function good(fix: IntegrityFix, p: IntegrityParams): boolean {
  return (
    !collapsed(fix, p) &&
    (fix.satellites === undefined || fix.satellites >= p.jamGoodSatellites) &&
    (fix.hdop === undefined || fix.hdop <= p.jamGoodHdop)
  );
}

export function observeJamming(
  s: JammingState,
  fix: IntegrityFix,
  p: IntegrityParams,
): Observation | undefined {
  const reported =
    fix.gnssJamming === 'critical'
      ? 'critical'
      : fix.gnssJamming === 'warning' || fix.events.includes('gnss_jamming')
        ? 'warning'
        : fix.gsmJamming === true || fix.events.includes('gsm_jamming')
          ? 'gsm'
          : undefined;
  const quality = { satellites: fix.satellites ?? null, hdop: fix.hdop ?? null };
  // Quality runs are judged in device-time order only; late buffered fixes do not break or extend them.
  const inOrder = s.newest === null || fix.time > s.newest;
  if (inOrder) s.newest = fix.time;
  if (reported) {
    s.goodFixes = 0;
    const text: Said =
      reported === 'critical'
        ? {
            es: 'El rastreador reportó interferencia GNSS crítica',
            en: 'The tracker reported critical GNSS jamming',
          }
        : reported === 'warning'
          ? { es: 'El rastreador reportó interferencia GNSS', en: 'The tracker reported GNSS jamming' }
          : {
              es: 'El rastreador reportó interferencia de la red celular (GSM)',
              en: 'The tracker reported cellular (GSM) jamming',
            };
    return {
      type: 'raise',
      finding: {
        severity: reported === 'critical' ? 'violation' : 'warning',
        cause:
          reported === 'critical'
            ? 'reported_critical'
            : reported === 'warning'
              ? 'reported_warning'
              : 'reported_gsm',
        since: fix.time,
        at: fix.time,
        description: text.es,
        descriptionEn: text.en,
        evidence: [evidenceOf(fix)],
        details: { ...quality, gnssJamming: fix.gnssJamming ?? null, gsmJamming: fix.gsmJamming ?? null },
      },
    };
  }
  if (!inOrder) return undefined;
  if (collapsed(fix, p)) {
    s.goodFixes = 0;
    if (s.poorSince === null) {
      s.poorSince = fix.time;
      s.poorFixes = 0;
      s.poorEvidence = [];
    }
    s.poorFixes++;
    if (s.poorEvidence.length < p.evidenceFixes) s.poorEvidence.push(evidenceOf(fix));
    const span = fix.time - s.poorSince;
    if (
      s.poorFixes >= p.jamMinFixes &&
      span >= p.jamMinMs &&
      s.lastGood !== null &&
      s.poorSince - s.lastGood <= p.jamCollapseWithinMs
    ) {
      return {
        type: 'raise',
        finding: {
          severity: 'warning',
          cause: 'quality_collapse',
          since: s.poorSince,
          at: fix.time,
          description: `La calidad del posicionamiento colapsó durante ${Math.round(span / 60_000)} min (${s.poorFixes} posiciones) mientras el rastreador seguía reportando`,
          descriptionEn: `Positioning quality collapsed for ${Math.round(span / 60_000)} min (${s.poorFixes} fixes) while the tracker kept reporting`,
          evidence: [...s.poorEvidence.slice(0, p.evidenceFixes - 1), evidenceOf(fix)],
          details: { ...quality, collapsedFixes: s.poorFixes, collapsedMs: span, lastGoodFixAt: s.lastGood },
        },
      };
    }
    return undefined;
  }
  s.poorSince = null;
  s.poorFixes = 0;
  s.poorEvidence = [];
  if (!good(fix, p)) {
    s.goodFixes = 0;
    return undefined;
  }
  s.lastGood = fix.time;
  s.goodFixes++;
  if (s.goodFixes >= p.jamClearFixes) {
    return {
      type: 'clear',
      clearing: {
        at: fix.time,
        description: `La calidad del posicionamiento volvió a ser buena (${s.goodFixes} posiciones buenas sin reporte de interferencia)`,
        descriptionEn: `Positioning quality is good again (${s.goodFixes} good fixes without a jamming report)`,
        evidence: [evidenceOf(fix)],
        details: quality,
      },
    };
  }
  return undefined;
}
