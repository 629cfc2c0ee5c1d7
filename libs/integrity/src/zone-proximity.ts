import type { ZoneKind } from '@app/geofence';
import type { ProhibitedZoneNearby, ProhibitedZoneProximity } from './model';

/** What the proximity needs of the zone index (`GeofenceIndex.zonesAt` from `@app/geofence` fits). */
export interface ZonesAtPosition {
  zonesAt(lat: number, lon: number): readonly { id: string; name: string; kind: ZoneKind }[];
}

export interface SampledProximityOptions {
  /** Zone kinds that count as prohibited. */
  kinds?: readonly ZoneKind[];
  /** Radii of the rings of points tested around the position, metres, ascending. */
  ringsMeters?: readonly number[];
  /** Points per ring. */
  bearings?: number;
}

export const DEFAULT_PROHIBITED_KINDS: readonly ZoneKind[] = ['water_body', 'protected_area'];
export const DEFAULT_RINGS_METERS: readonly number[] = [0, 25, 50, 100, 150, 200, 300, 400, 500, 750, 1000];

const M_PER_DEG = 111_320;

/**
 * `ProhibitedZoneProximity` over any point-in-zone index: the position itself, then rings of points around it,
 * nearest ring first. The distance reported is the radius of the first ring that touches a prohibited zone, so
 * it is at most that far (and at least the previous ring's radius, for zones wider than the ring spacing).
 * Only asked when a went-dark alert's severity is judged, so 16 × 11 lookups are cheap.
 */
export class SampledZoneProximity implements ProhibitedZoneProximity {
  private readonly kinds: ReadonlySet<ZoneKind>;
  private readonly rings: readonly number[];
  private readonly bearings: number;

  constructor(
    private readonly index: ZonesAtPosition,
    options: SampledProximityOptions = {},
  ) {
    this.kinds = new Set(options.kinds ?? DEFAULT_PROHIBITED_KINDS);
    this.rings = [...(options.ringsMeters ?? DEFAULT_RINGS_METERS)].sort((a, b) => a - b);
    this.bearings = options.bearings ?? 16;
    if (!(this.bearings >= 1) || this.rings.some((r) => !(r >= 0)))
      throw new Error('bearings must be ≥ 1 and ring radii ≥ 0');
  }

  nearestProhibitedZone(lat: number, lon: number, withinMeters: number): ProhibitedZoneNearby | undefined {
    const cosLat = Math.cos((lat * Math.PI) / 180);
    for (const radius of this.rings) {
      if (radius > withinMeters) break;
      const points = radius === 0 ? 1 : this.bearings;
      for (let i = 0; i < points; i++) {
        const angle = (2 * Math.PI * i) / points;
        const pLat = lat + (radius * Math.cos(angle)) / M_PER_DEG;
        const pLon = lon + (radius * Math.sin(angle)) / (M_PER_DEG * cosLat);
        const zone = this.index.zonesAt(pLat, pLon).find((z) => this.kinds.has(z.kind));
        if (zone) return { zoneId: zone.id, zoneName: zone.name, distanceMeters: radius };
      }
    }
    return undefined;
  }
}
