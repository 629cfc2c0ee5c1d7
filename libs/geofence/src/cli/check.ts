import { createHash } from 'crypto';
import type { FeatureCollection, Geometry } from 'geojson';
import { ZONE_KINDS, type Catalogue, type Zone, type ZoneGeometry, type ZoneKind } from '../model';
import { geometryProblem } from '../catalogue/importer';
import type { GeofenceIndex } from '../index/geofence-index';
import { formatCheckLines, InputError, readPointsCsv } from './points-csv';

export { InputError };

export interface CheckPoint {
  id: string;
  lon: number;
  lat: number;
  /** 1-based line number in the CSV file. */
  line: number;
}

/** Parse a points CSV with a header naming `id`, `lon` and `lat` columns (any order). */
export function parsePointsCsv(text: string): CheckPoint[] {
  const table = readPointsCsv(Buffer.from(text, 'utf8'));
  const points: CheckPoint[] = [];
  for (let k = 0; k < table.count; k++) {
    points.push({
      id: table.id(k),
      lon: table.lon[k] as number,
      lat: table.lat[k] as number,
      line: table.lines[k] as number,
    });
  }
  return points;
}

/**
 * Zones from an analyst's GeoJSON file, one per feature: id from the feature `id`, else
 * `properties.id`; line features need `properties.buffer_m`. Geometries are used as given.
 */
export function zonesFromFeatureCollection(input: unknown): Catalogue {
  const fc = input as FeatureCollection;
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new InputError('zones file: not a GeoJSON FeatureCollection');
  }
  const zones: Zone[] = [];
  fc.features.forEach((f, i) => {
    const where = `feature ${i + 1} (features[${i}])`;
    if (!f || typeof f !== 'object' || f.type !== 'Feature')
      throw new InputError(`${where}: not a GeoJSON Feature`);
    const props = (f.properties ?? {}) as Record<string, unknown>;
    const rawId = f.id ?? props.id;
    if (rawId === undefined || rawId === null || rawId === '')
      throw new InputError(`${where}: no id (feature id or properties.id)`);
    const id = String(rawId);
    const problem = geometryProblem(f.geometry as Geometry | null);
    if (problem) throw new InputError(`${where} id "${id}": ${problem}`);
    const geometry = f.geometry as ZoneGeometry;
    const zone: Zone = {
      id,
      kind: ZONE_KINDS.includes(props.kind as ZoneKind) ? (props.kind as ZoneKind) : 'protected_area',
      name: typeof props.name === 'string' ? props.name : id,
      authority: typeof props.authority === 'string' ? props.authority : '',
      legalBasis: '',
      geometry,
    };
    if (geometry.type === 'LineString' || geometry.type === 'MultiLineString') {
      const b = Number(props.buffer_m);
      if (props.buffer_m === undefined || props.buffer_m === null || !Number.isFinite(b) || b < 0) {
        throw new InputError(`${where} id "${id}": line feature needs a numeric properties.buffer_m ≥ 0`);
      }
      zone.bufferMeters = b;
    }
    zones.push(zone);
  });
  const version = createHash('sha256').update(JSON.stringify(zones)).digest('hex').slice(0, 32);
  return { version, zones };
}

export interface CheckOptions {
  /** Called with each output line (without newline). */
  write: (line: string) => void;
}

/** One NDJSON line per point: `{"id": "...", "zones": [sorted unique zone ids]}`. */
export function runCheck(index: GeofenceIndex, points: readonly CheckPoint[], options: CheckOptions): void {
  formatCheckLines(index, points, options.write);
}

/**
 * A catalogue as a GeoJSON FeatureCollection that `check` (and any GIS) reads back: feature `id` is
 * the zone id, river zones carry `properties.buffer_m`.
 */
export function catalogueToFeatureCollection(catalogue: Catalogue): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: catalogue.zones.map((z) => ({
      type: 'Feature',
      id: z.id,
      properties: {
        ...(z.properties ?? {}),
        id: z.id,
        kind: z.kind,
        name: z.name,
        code: z.code ?? null,
        authority: z.authority,
        legal_basis: z.legalBasis,
        ...(z.bufferMeters !== undefined ? { buffer_m: z.bufferMeters } : {}),
        valid_from: z.validFrom ?? null,
        valid_to: z.validTo ?? null,
      },
      geometry: z.geometry,
    })),
  };
}
