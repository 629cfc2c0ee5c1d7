import type { Zone } from '@app/geofence';
import { normaliseDepartment } from '@app/registry';
import type { ZoneHit, ZoneLookup } from './model';

/** What the rules use of `GeofenceIndex` from `@app/geofence`. */
export interface GeofenceIndexLike {
  readonly version: string;
  readonly zones: readonly Zone[];
  zonesAt(lat: number, lon: number, fineCell?: string): readonly Zone[];
}

/** `ZoneLookup` over the H3 geofence index. */
export class GeofenceZoneLookup implements ZoneLookup {
  readonly catalogueVersion: string;
  private readonly hits = new Map<Zone, ZoneHit>();
  private readonly byId = new Map<string, ZoneHit>();
  private readonly lists = new WeakMap<readonly Zone[], readonly ZoneHit[]>();

  constructor(readonly index: GeofenceIndexLike) {
    this.catalogueVersion = index.version;
    for (const zone of index.zones) {
      const hit = zoneHit(zone);
      this.hits.set(zone, hit);
      this.byId.set(zone.id, hit);
    }
  }

  zonesAt(lat: number, lon: number, cell?: string): readonly ZoneHit[] {
    const zones = this.index.zonesAt(lat, lon, cell);
    // The index hands out the same frozen array for every position of a cell: convert it once.
    let list = this.lists.get(zones);
    if (!list) {
      list = zones.map((z) => this.hits.get(z) ?? zoneHit(z));
      if (Object.isFrozen(zones)) this.lists.set(zones, list);
    }
    return list;
  }

  zone(id: string): ZoneHit | undefined {
    return this.byId.get(id);
  }
}

/**
 * `ZoneLookup` over whatever index is active in a source that swaps indexes when a new catalogue
 * version is activated (`GeofenceEngine` from `@app/geofence`). Until an index is active it finds no
 * zones and reports an empty catalogue version, so callers should wait for one before evaluating.
 */
export class ActiveIndexLookup implements ZoneLookup {
  private current: GeofenceZoneLookup | undefined;

  constructor(private readonly source: { readonly index: GeofenceIndexLike | null }) {}

  get catalogueVersion(): string {
    return this.active()?.catalogueVersion ?? '';
  }

  zonesAt(lat: number, lon: number, cell?: string): readonly ZoneHit[] {
    return this.active()?.zonesAt(lat, lon, cell) ?? [];
  }

  zone(id: string): ZoneHit | undefined {
    return this.active()?.zone(id);
  }

  private active(): GeofenceZoneLookup | undefined {
    const index = this.source.index;
    if (!index) return undefined;
    if (this.current?.index !== index) this.current = new GeofenceZoneLookup(index);
    return this.current;
  }
}

export function zoneHit(zone: Zone): ZoneHit {
  const hit: ZoneHit = { id: zone.id, kind: zone.kind, name: zone.name, legalBasis: zone.legalBasis };
  const layer = zone.properties?.layer;
  hit.layer = typeof layer === 'string' && layer !== '' ? layer : zone.authority;
  const department = zone.properties?.department;
  if (zone.kind === 'jurisdiction' && typeof department === 'string') {
    hit.department = normaliseDepartment(department) ?? department.toUpperCase();
    const province = zone.properties?.province;
    if (typeof province === 'string' && province.trim() !== '') hit.province = province.trim().toUpperCase();
  }
  return hit;
}
