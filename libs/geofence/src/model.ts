import type { LineString, MultiLineString, MultiPolygon, Polygon } from 'geojson';

export type ZoneKind =
  | 'protected_area'
  | 'buffer_zone'
  | 'water_body'
  | 'mining_corridor'
  | 'indigenous_land'
  | 'jurisdiction';

export const ZONE_KINDS: readonly ZoneKind[] = [
  'protected_area',
  'buffer_zone',
  'water_body',
  'mining_corridor',
  'indigenous_land',
  'jurisdiction',
];

export type ZoneGeometry = Polygon | MultiPolygon | LineString | MultiLineString;

export interface Zone {
  /** Stable identifier, kept across catalogue versions. */
  id: string;
  kind: ZoneKind;
  name: string;
  code?: string;
  authority: string;
  legalBasis: string;
  geometry: ZoneGeometry;
  /** Required for line geometries: the zone is every point within this distance of the line. */
  bufferMeters?: number;
  /** ISO date (YYYY-MM-DD). */
  validFrom?: string;
  validTo?: string;
  /** Extra attributes, e.g. `department` for jurisdiction zones. */
  properties?: Record<string, string | number | boolean | null>;
}

export interface Catalogue {
  /** Content hash of the zones (see `catalogueVersion`). */
  version: string;
  zones: Zone[];
}

export interface RepairEntry {
  zoneId: string;
  /** Index of the source feature in its layer (0-based). */
  feature: number;
  layer?: string;
  what: string;
}

export interface MergeEntry {
  zoneId: string;
  layer?: string;
  /** Source feature indices combined into the zone. */
  features: number[];
  what: string;
}

export interface RejectEntry {
  layer?: string;
  feature: number;
  reason: string;
}

export interface ImportReport {
  imported: number;
  repaired: RepairEntry[];
  merged: MergeEntry[];
  rejected: RejectEntry[];
}

/** Whether the zone applies on `date` (ISO `YYYY-MM-DD` or a Date); open-ended bounds apply always. */
export function zoneValidAt(zone: Pick<Zone, 'validFrom' | 'validTo'>, date: string | Date): boolean {
  const day = typeof date === 'string' ? date.slice(0, 10) : date.toISOString().slice(0, 10);
  if (zone.validFrom && day < zone.validFrom.slice(0, 10)) return false;
  if (zone.validTo && day > zone.validTo.slice(0, 10)) return false;
  return true;
}
