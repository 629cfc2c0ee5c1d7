/** Tuning of the per-device streaming state. Every field is documented in docs/rules.md. */
export interface StreamParams {
  /** Weighted fixes inside a zone needed before presence (and a verdict) is confirmed. */
  enterFixes: number;
  /** Time between the first and the confirming fix of that run, in milliseconds. */
  enterMs: number;
  /** Weighted fixes outside needed before an exit is confirmed. */
  exitFixes: number;
  /** Time between the first outside fix and the confirming one, in milliseconds. */
  exitMs: number;
  /**
   * A pending run must outweigh the contrary fixes seen during it by this factor (2: at least two
   * thirds of the weighted fixes agree), so a track jittering half in, half out confirms nothing.
   */
  dominance: number;
  /** Consecutive contrary weight that abandons a pending run. */
  breakFixes: number;
  /** Interval of `dwell` / `verdict_update` reports while presence lasts, in milliseconds. */
  dwellEveryMs: number;
  /** HDOP at or below which a fix counts fully. */
  goodHdop: number;
  /** HDOP above which a fix is ignored. */
  maxHdop: number;
  /** Satellites at or above which a fix counts fully. */
  goodSatellites: number;
  /** Satellites below which a fix is ignored. */
  minSatellites: number;
  /** Weight of a fix between good and unusable. */
  poorFixWeight: number;
  /** Speed at or above which the machine counts as transported (heavy machines walk below ~10 km/h). */
  transportSpeedKmh: number;
  /** A transport's stop (ignition not on) stays transported this long after its last fix at road speed. */
  transportStopMs: number;
  /** Without a reported speed, the implied speed from the previous fix is used if they are this close in time… */
  transportMaxGapMs: number;
  /** …and at least this far apart (GNSS scatter of a parked machine is not a speed). */
  transportMinMeters: number;
  /** An event confirmed this long before the fix that revealed it arrived is marked late. */
  lateAfterMs: number;
  /** Fixes kept for re-evaluation of late arrivals. */
  historyFixes: number;
  /** Time span kept for re-evaluation of late arrivals, back from the newest fix. */
  historyMs: number;
  /** Spacing of the points tested along the segment between two fixes. */
  crossingSpacingMeters: number;
  /** Most points tested on one segment; a longer segment is sampled more coarsely. */
  crossingMaxSamples: number;
  /** Segments spanning more time than this are not assumed straight and are not sampled. */
  crossingMaxGapMs: number;
  /** Segments implying a higher speed are not sampled (a jump, not a path). */
  crossingMaxSpeedKmh: number;
  /** Evidence fixes kept per confirmation. */
  evidenceFixes: number;
}

export const DEFAULT_STREAM_PARAMS: StreamParams = {
  enterFixes: 3,
  enterMs: 120_000,
  exitFixes: 3,
  exitMs: 120_000,
  dominance: 2,
  breakFixes: 2,
  dwellEveryMs: 15 * 60_000,
  goodHdop: 2,
  maxHdop: 8,
  goodSatellites: 6,
  minSatellites: 4,
  poorFixWeight: 0.5,
  transportSpeedKmh: 15,
  transportStopMs: 5 * 60_000,
  transportMaxGapMs: 10 * 60_000,
  transportMinMeters: 200,
  lateAfterMs: 5 * 60_000,
  historyFixes: 180,
  historyMs: 6 * 3_600_000,
  crossingSpacingMeters: 40,
  crossingMaxSamples: 250,
  crossingMaxGapMs: 2 * 3_600_000,
  crossingMaxSpeedKmh: 120,
  evidenceFixes: 5,
};

export function streamParams(overrides: Partial<StreamParams> = {}): StreamParams {
  const p = { ...DEFAULT_STREAM_PARAMS, ...overrides };
  const positive: (keyof StreamParams)[] = [
    'enterFixes',
    'exitFixes',
    'dominance',
    'breakFixes',
    'dwellEveryMs',
    'historyFixes',
    'crossingSpacingMeters',
    'crossingMaxSamples',
    'evidenceFixes',
  ];
  for (const k of positive) {
    if (!(p[k] > 0)) throw new Error(`stream parameter ${k} must be > 0`);
  }
  for (const k of Object.keys(p) as (keyof StreamParams)[]) {
    if (!Number.isFinite(p[k]) || p[k] < 0)
      throw new Error(`stream parameter ${k} must be a finite number ≥ 0`);
  }
  if (p.maxHdop < p.goodHdop) throw new Error('maxHdop must be ≥ goodHdop');
  if (p.goodSatellites < p.minSatellites) throw new Error('goodSatellites must be ≥ minSatellites');
  if (p.poorFixWeight > 1) throw new Error('poorFixWeight must be ≤ 1');
  return p;
}
