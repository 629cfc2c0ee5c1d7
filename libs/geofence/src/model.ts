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
  /** Where the zone comes from: its layer and the features (and pieces of them) it was built from. */
  source?: ZoneSource;
}

/**
 * Outcome of checking a feature's name against a second source at import: `confirmed` (a second source names it
 * the same), `corrected` (both other sources name it otherwise; the zone carries their name), `unverified` (a
 * second source contradicts the name without settling it; the zone's name says so), `unchecked` (no second source).
 */
export type NameCheckStatus = 'confirmed' | 'corrected' | 'unverified' | 'unchecked';

export interface ZoneSourceFeature {
  /** Index of the feature in its layer (0-based). */
  index: number;
  /** The feature's identifier as published (GeoJSON `id`, else the id property), if any. */
  id?: string;
  /** The feature's name as published. */
  name?: string;
  /** For line features split between zones: the LineStrings of the feature (0-based) in this zone. */
  pieces?: number[];
  nameCheck?: NameCheckStatus;
}

export interface ZoneSource {
  layer: string;
  /** The feature property the name was read from; absent when the mapping gives the name. */
  nameAttribute?: string;
  features: ZoneSourceFeature[];
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

/** A name contradicted by a second source at import, and what the import did about it. */
export interface NameCheckEntry {
  /** The zone the pieces went to. */
  zoneId: string;
  layer?: string;
  feature: number;
  featureId?: string;
  /** The feature's LineStrings concerned (0-based). */
  pieces: number[];
  /** The name the feature was published under. */
  name: string;
  action: 'corrected' | 'unverified';
  /** The name the zone carries now. */
  shownAs: string;
  /** What the second source says. */
  secondSource: { layer: string; name: string; zoneId?: string };
  evidence: string;
}

export interface ImportReport {
  imported: number;
  repaired: RepairEntry[];
  merged: MergeEntry[];
  rejected: RejectEntry[];
  /** Names contradicted by a second source (layers checked against one). */
  names: NameCheckEntry[];
}

/** Whether the zone applies on `date` (ISO `YYYY-MM-DD` or a Date); open-ended bounds apply always. */
export function zoneValidAt(zone: Pick<Zone, 'validFrom' | 'validTo'>, date: string | Date): boolean {
  const day = typeof date === 'string' ? date.slice(0, 10) : date.toISOString().slice(0, 10);
  if (zone.validFrom && day < zone.validFrom.slice(0, 10)) return false;
  if (zone.validTo && day > zone.validTo.slice(0, 10)) return false;
  return true;
}
