import { createHash } from 'crypto';
import type { FeatureCollection, Geometry } from 'geojson';
import { ZONE_KINDS, type Catalogue, type Zone, type ZoneGeometry, type ZoneKind } from '../model';
import { geometryProblem } from '../catalogue/importer';
import type { GeofenceIndex } from '../index/geofence-index';

export class InputError extends Error {}

export interface CheckPoint {
  id: string;
  lon: number;
  lat: number;
  /** 1-based line number in the CSV file. */
  line: number;
}

function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += line[i];
        i++;
      }
      out.push(s);
      if (i === line.length) return out;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const j = line.indexOf(',', i);
      if (j < 0) {
        out.push(line.slice(i).trim());
        return out;
      }
      out.push(line.slice(i, j).trim());
      i = j + 1;
    }
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parse a points CSV with a header naming `id`, `lon` and `lat` columns (any order). */
export function parsePointsCsv(text: string): CheckPoint[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerLine = lines[0] ?? '';
  const header = splitCsvLine(headerLine.trim())?.map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header?.indexOf(name) ?? -1;
  const [iId, iLon, iLat] = [col('id'), col('lon'), col('lat')];
  if (!header || iId < 0 || iLon < 0 || iLat < 0) {
    throw new InputError(`line 1: expected a header with columns id,lon,lat, got "${headerLine.slice(0, 80)}"`);
  }
  const points: CheckPoint[] = [];
  for (let n = 1; n < lines.length; n++) {
    const raw = lines[n] as string;
    if (raw.trim() === '') continue;
    const line = n + 1;
    const fields = splitCsvLine(raw);
    if (!fields || fields.length !== header.length) {
      throw new InputError(`line ${line}: expected ${header.length} fields (${header.join(',')}), got "${raw.slice(0, 80)}"`);
    }
    const id = fields[iId] as string;
    const lonS = fields[iLon] as string;
    const latS = fields[iLat] as string;
    if (id === '') throw new InputError(`line ${line}: empty id`);
    if (!NUMBER.test(lonS) || !NUMBER.test(latS)) {
      throw new InputError(`line ${line}: lon/lat must be decimal numbers, got lon="${lonS}" lat="${latS}"`);
    }
    const lon = Number(lonS);
    const lat = Number(latS);
    if (!(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90)) {
      throw new InputError(`line ${line}: coordinates out of range (lon ${lonS}, lat ${latS})`);
    }
    points.push({ id, lon, lat, line });
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
    if (!f || typeof f !== 'object' || f.type !== 'Feature') throw new InputError(`${where}: not a GeoJSON Feature`);
    const props = (f.properties ?? {}) as Record<string, unknown>;
    const rawId = f.id ?? props.id;
    if (rawId === undefined || rawId === null || rawId === '') throw new InputError(`${where}: no id (feature id or properties.id)`);
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
  for (const p of points) {
    const hits = index.zonesAt(p.lat, p.lon);
    let ids: string[];
    if (hits.length === 0) ids = [];
    else {
      ids = hits.map((z) => z.id);
      ids.sort();
      ids = ids.filter((id, k) => k === 0 || id !== ids[k - 1]);
    }
    options.write(JSON.stringify({ id: p.id, zones: ids }));
  }
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
