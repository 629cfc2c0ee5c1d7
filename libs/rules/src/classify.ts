import { segmentMeters } from './crossing';
import type { Activity, Fix } from './model';
import type { StreamParams } from './params';

/** What the classification needs of the fix before (in event time) on the same device. */
export interface PreviousActivity {
  t: number;
  lat: number;
  lon: number;
  a: Activity;
  /** Event time of the latest fix at road speed (or towed) of the transport this fix belongs to. */
  ta?: number;
}

export interface ActivityJudgement {
  activity: Activity;
  /** For a transported fix: event time of the latest fix at road speed or towed (the transport's anchor). */
  transportAnchor?: number;
}

/**
 * Activity at a fix. Towed, or at road speed (reported, or implied by the distance from the previous fix
 * when the tracker reports no speed), is transported; a stop of a transport (traffic, a checkpoint, a
 * ferry) stays transported for `transportStopMs` after the last fix at road speed unless ignition is on;
 * ignition off is idle; otherwise operating. A fix without ignition data counts as operating, so missing
 * telemetry cannot hide work.
 */
export function judgeActivity(
  fix: Fix,
  params: StreamParams,
  previous?: PreviousActivity,
): ActivityJudgement {
  if (fix.towing === true) return { activity: 'transported', transportAnchor: fix.time };
  if (fix.speedKmh !== undefined && fix.speedKmh >= params.transportSpeedKmh)
    return { activity: 'transported', transportAnchor: fix.time };
  const dt = previous ? fix.time - previous.t : 0;
  if (previous && dt > 0) {
    if (fix.speedKmh === undefined && dt <= params.transportMaxGapMs) {
      const meters = segmentMeters(previous, { t: fix.time, lat: fix.lat, lon: fix.lon });
      if (meters >= params.transportMinMeters && (meters / dt) * 3_600 >= params.transportSpeedKmh)
        return { activity: 'transported', transportAnchor: fix.time };
    }
    const anchor = previous.a === 'transported' ? previous.ta : undefined;
    if (anchor !== undefined && fix.ignition !== true && fix.time - anchor <= params.transportStopMs)
      return { activity: 'transported', transportAnchor: anchor };
  }
  if (fix.ignition === false) return { activity: 'idle' };
  return { activity: 'operating' };
}

/** Activity at a fix (see `judgeActivity`); without `previous`, from the fix alone. */
export function classifyActivity(fix: Fix, params: StreamParams, previous?: PreviousActivity): Activity {
  return judgeActivity(fix, params, previous).activity;
}

/**
 * How much a fix counts towards confirming presence or absence: 1 for a good fix, `poorFixWeight`
 * for a mediocre one (HDOP above `goodHdop` or fewer than `goodSatellites`), 0 for one that must not
 * be used (invalid coordinates, HDOP above `maxHdop`, fewer than `minSatellites`). Missing HDOP or
 * satellite counts are not held against the fix.
 */
export function fixWeight(fix: Fix, params: StreamParams): number {
  if (!validCoordinates(fix.lat, fix.lon) || !Number.isFinite(fix.time)) return 0;
  const { hdop, satellites } = fix;
  if (hdop !== undefined && !(hdop <= params.maxHdop)) return 0;
  if (satellites !== undefined && !(satellites >= params.minSatellites)) return 0;
  if (
    (hdop !== undefined && hdop > params.goodHdop) ||
    (satellites !== undefined && satellites < params.goodSatellites)
  ) {
    return params.poorFixWeight;
  }
  return 1;
}

function validCoordinates(lat: number, lon: number): boolean {
  return (
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    lat >= -90 &&
    lat <= 90 &&
    lon >= -180 &&
    lon <= 180 &&
    !(lat === 0 && lon === 0)
  );
}
