import type { Activity, Fix } from './model';
import type { StreamParams } from './params';

/**
 * Basic activity: towed or at road speed is transported; ignition off is idle; otherwise operating.
 * A fix without ignition data counts as operating, so missing telemetry cannot hide work.
 */
export function classifyActivity(fix: Fix, params: StreamParams): Activity {
  if (fix.towed === true) return 'transported';
  if (fix.speedKmh !== undefined && fix.speedKmh >= params.transportSpeedKmh) return 'transported';
  if (fix.ignition === false) return 'idle';
  return 'operating';
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
