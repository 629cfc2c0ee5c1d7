import { metresPerDegree } from '@app/geofence';
import type { ZoneHit, ZoneLookup } from './model';
import type { StreamParams } from './params';

export interface SegmentEnd {
  t: number;
  lat: number;
  lon: number;
}

export interface Crossing {
  zone: ZoneHit;
  /** Time interpolated at the first sample inside the zone. */
  at: number;
}

export interface CrossingResult {
  crossings: Crossing[];
  spacingMeters: number;
}

const NONE: CrossingResult = { crossings: [], spacingMeters: 0 };

/** Length in metres of the segment a–b, in the local tangent plane at its middle. */
export function segmentMeters(a: SegmentEnd, b: SegmentEnd): number {
  const { kx, ky } = metresPerDegree((a.lat + b.lat) / 2);
  return Math.hypot((b.lon - a.lon) * kx, (b.lat - a.lat) * ky);
}

/**
 * Zones the straight segment between two fixes passes through although neither fix is in them (a
 * river between two sparse fixes). Points are tested every `crossingSpacingMeters` (at most
 * `crossingMaxSamples` points; longer segments are sampled more coarsely, reported in
 * `spacingMeters`). A zone narrower than the spacing can be missed. Segments too long in time, or
 * implying an impossible speed, are not taken as a path. Jurisdictions are not reported.
 */
export function crossedZones(
  a: SegmentEnd,
  b: SegmentEnd,
  endpointZones: (zoneId: string) => boolean,
  lookup: ZoneLookup,
  params: StreamParams,
): CrossingResult {
  const dt = b.t - a.t;
  if (dt <= 0 || dt > params.crossingMaxGapMs) return NONE;
  const meters = segmentMeters(a, b);
  if (meters <= params.crossingSpacingMeters) return NONE;
  if ((meters / dt) * 3_600 > params.crossingMaxSpeedKmh) return NONE;
  const samples = Math.min(params.crossingMaxSamples, Math.ceil(meters / params.crossingSpacingMeters) - 1);
  if (samples < 1) return NONE;
  const crossings: Crossing[] = [];
  let seen: Set<string> | undefined;
  for (let i = 1; i <= samples; i++) {
    const f = i / (samples + 1);
    const hits = lookup.zonesAt(a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f);
    for (const zone of hits) {
      if (zone.kind === 'jurisdiction' || endpointZones(zone.id)) continue;
      seen ??= new Set();
      if (seen.has(zone.id)) continue;
      seen.add(zone.id);
      crossings.push({ zone, at: Math.round(a.t + dt * f) });
    }
  }
  return { crossings, spacingMeters: meters / (samples + 1) };
}
