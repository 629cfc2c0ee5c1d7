import { bearingDeg, destination, distanceM, interpolate, LatLon, offset } from './geo';
import { Random } from './random';

/** Where the machine really is at one instant, and how it moves. */
export interface TruePoint extends LatLon {
  readonly timeMs: number;
  /** km/h over ground. */
  readonly speed: number;
  /** Degrees clockwise from north. */
  readonly heading: number;
}

/** What the GNSS receiver reports for a true point: a position off by an error that grows with HDOP. */
export interface GpsSample extends TruePoint {
  readonly trueLat: number;
  readonly trueLon: number;
  readonly hdop: number;
  readonly satellites: number;
  readonly altitude: number;
}

/** Typical machine speeds (km/h). */
export const SPEEDS = {
  excavatorTracks: 4,
  dredgeOnRiver: 6,
  loaderOnSite: 10,
  truckOnHighway: 60,
} as const;

/** User equivalent range error of a consumer GNSS receiver, metres (1 σ). */
export const UERE_M = 3.5;

/**
 * Positions every `intervalS` seconds along a polyline at a constant speed, starting at `startMs`.
 * The last point is the end of the path (reached at whatever time it takes).
 */
export function alongPath(
  path: readonly LatLon[],
  speedKmh: number,
  intervalS: number,
  startMs: number,
): TruePoint[] {
  if (path.length < 2) throw new RangeError('a path needs at least two points');
  if (speedKmh <= 0 || intervalS <= 0) throw new RangeError('speed and interval must be positive');
  const step = (speedKmh / 3.6) * intervalS;
  const out: TruePoint[] = [];
  let segment = 1;
  let segmentStart = 0;
  for (let along = 0, i = 0; ; along += step, i++) {
    let a = path[segment - 1] as LatLon;
    let b = path[segment] as LatLon;
    while (along > segmentStart + distanceM(a, b) && segment < path.length - 1) {
      segmentStart += distanceM(a, b);
      segment++;
      a = path[segment - 1] as LatLon;
      b = path[segment] as LatLon;
    }
    const length = distanceM(a, b);
    const timeMs = startMs + i * intervalS * 1000;
    if (along >= segmentStart + length) {
      out.push({ ...b, timeMs, speed: 0, heading: bearingDeg(a, b) });
      return out;
    }
    const t = length === 0 ? 0 : (along - segmentStart) / length;
    out.push({ ...interpolate(a, b, t), timeMs, speed: speedKmh, heading: bearingDeg(a, b) });
  }
}

/** A machine at work on a site: slow moves and swings within `radiusM` of `centre`. */
export function atWork(
  centre: LatLon,
  radiusM: number,
  count: number,
  intervalS: number,
  startMs: number,
  random: Random,
): TruePoint[] {
  const out: TruePoint[] = [];
  let here = centre;
  let heading = random.between(0, 360);
  for (let i = 0; i < count; i++) {
    const moving = random.next() < 0.6;
    const speed = moving ? random.between(0.5, SPEEDS.excavatorTracks) : 0;
    if (moving) {
      heading = (heading + random.between(-60, 60) + 360) % 360;
      let next = destination(here, heading, (speed / 3.6) * intervalS);
      if (distanceM(centre, next) > radiusM) {
        heading = bearingDeg(here, centre);
        next = destination(here, heading, Math.min(distanceM(here, centre), (speed / 3.6) * intervalS));
      }
      here = next;
    }
    out.push({ ...here, timeMs: startMs + i * intervalS * 1000, speed, heading });
  }
  return out;
}

/** Standing still (engine off or waiting), `count` points. */
export function standing(at: LatLon, count: number, intervalS: number, startMs: number): TruePoint[] {
  return Array.from({ length: count }, (_, i) => ({
    ...at,
    timeMs: startMs + i * intervalS * 1000,
    speed: 0,
    heading: 0,
  }));
}

/** Satellites in view that give roughly this HDOP under a rainforest canopy. */
export function satellitesFor(hdop: number): number {
  if (hdop <= 0.8) return 12;
  if (hdop <= 1.2) return 10;
  if (hdop <= 2) return 8;
  if (hdop <= 4) return 6;
  if (hdop <= 8) return 4;
  return 3;
}

/**
 * Adds receiver noise: each horizontal axis is off by N(0, (HDOP × UERE)/√2) metres, so the radial error is
 * about HDOP × UERE. `hdop` is either a constant or a function of the point.
 */
export function withGpsNoise(
  points: readonly TruePoint[],
  random: Random,
  hdop: number | ((point: TruePoint, index: number) => number),
  altitude = 190,
): GpsSample[] {
  return points.map((p, i) => {
    const h = typeof hdop === 'number' ? hdop : hdop(p, i);
    const sigma = (h * UERE_M) / Math.SQRT2;
    const reported = offset(p, random.gaussian() * sigma, random.gaussian() * sigma);
    return {
      ...p,
      lat: round(reported.lat, 7),
      lon: round(reported.lon, 7),
      trueLat: p.lat,
      trueLon: p.lon,
      hdop: round(h, 1),
      satellites: satellitesFor(h),
      altitude: Math.round(altitude + random.gaussian() * h * 2),
    };
  });
}

/** Re-times points to follow each other every `intervalS` seconds from `startMs`. */
export function retime(points: readonly TruePoint[], intervalS: number, startMs: number): TruePoint[] {
  return points.map((p, i) => ({ ...p, timeMs: startMs + i * intervalS * 1000 }));
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
