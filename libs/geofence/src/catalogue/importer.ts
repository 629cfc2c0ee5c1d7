import { createHash } from 'crypto';
import type { Feature, FeatureCollection, Geometry, LineString, MultiLineString, Position } from 'geojson';
import { ZONE_KINDS, type Catalogue, type ImportReport, type Zone, type ZoneGeometry, type ZoneKind } from '../model';
import { joinLines, normalisePolygons } from './geometry-repair';

/** A value read from a feature: a property name, the first non-empty of several, or a fixed value. */
export type AttributeSource = string | string[] | { value: string };

/**
 * How the features of a GeoJSON layer become zones. JSON-serialisable, so the API and the CLI can
 * take it as input.
 */
export interface LayerMapping {
  /** Layer name used in reports (e.g. the file name). */
  layer: string;
  kind: ZoneKind;
  authority: string;
  /** Prefix of the stable zone id. */
  idPrefix: string;
  /**
   * Property whose value identifies the zone (official code). Features sharing the value are parts
   * of the same zone and are combined. Without it, the feature's `id`, else its position, is used.
   */
  idProperty?: AttributeSource;
  name: AttributeSource;
  code?: AttributeSource;
  legalBasis?: AttributeSource;
  validFrom?: AttributeSource;
  validTo?: AttributeSource;
  /** For line layers: buffer in metres (fixed, or a property with a fixed fallback). */
  bufferMeters?: number;
  bufferProperty?: string;
  /** For line layers: bridge gaps between pieces up to this many metres (default: the buffer). */
  joinGapMeters?: number;
  /** Zone properties copied from feature properties: zone property → source. */
  properties?: Record<string, AttributeSource>;
  /** Normalise polygons (resolve self-intersections, unite overlapping parts). Default true. */
  repairPolygons?: boolean;
}

export interface LayerImport {
  zones: Zone[];
  report: ImportReport;
}

type Props = Record<string, unknown>;

function read(props: Props, src: AttributeSource | undefined): string | undefined {
  if (src === undefined) return undefined;
  if (typeof src === 'object' && !Array.isArray(src)) return src.value;
  for (const key of Array.isArray(src) ? src : [src]) {
    const v = props[key];
    if (v === null || v === undefined) continue;
    const s = String(v).trim();
    if (s !== '') return s;
  }
  return undefined;
}

export function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Checks coordinates; returns a message for the first problem found. */
export function checkPositions(coords: unknown, depth: number): string | null {
  if (!Array.isArray(coords)) return 'coordinates are not an array';
  if (depth === 0) {
    const [x, y] = coords as unknown[];
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
      return `invalid position ${JSON.stringify(coords)}`;
    }
    if (x < -180 || x > 180 || y < -90 || y > 90) return `position out of range ${JSON.stringify(coords)}`;
    return null;
  }
  for (const c of coords) {
    const m = checkPositions(c, depth - 1);
    if (m) return m;
  }
  return null;
}

const DEPTH: Record<string, number> = { Polygon: 2, MultiPolygon: 3, LineString: 1, MultiLineString: 2 };

/** Validate a feature's geometry for use as a zone: null when fine, else the reason. */
export function geometryProblem(geometry: Geometry | null | undefined): string | null {
  if (!geometry) return 'feature has no geometry';
  const depth = DEPTH[geometry.type];
  if (depth === undefined) return `unsupported geometry type ${geometry.type}`;
  const coords = (geometry as { coordinates?: unknown }).coordinates;
  const m = checkPositions(coords, depth);
  if (m) return m;
  if (geometry.type === 'Polygon' || geometry.type === 'MultiPolygon') {
    const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    if (polys.length === 0) return 'empty geometry';
    for (const poly of polys) {
      if (poly.length === 0 || (poly[0] as Position[]).length < 4) return 'polygon outer ring has fewer than 4 positions';
    }
  } else {
    const g = geometry as LineString | MultiLineString;
    const lines: Position[][] = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
    if (lines.length === 0 || lines.every((l) => l.length < 2)) return 'line has fewer than 2 positions';
  }
  return null;
}

function geometryHash(g: Geometry): string {
  return createHash('sha1').update(JSON.stringify(g)).digest('hex');
}

interface Group {
  id: string;
  features: number[];
  polygons: Position[][][];
  lines: Position[][];
  first: Props;
  featureId?: string;
}

/**
 * Import one GeoJSON layer: validate every feature, combine features of the same zone, drop exact
 * duplicates, resolve self-intersecting rings, join river pieces. Every feature ends up in a zone
 * or in `rejected`; every change is listed in `repaired` or `merged`.
 */
export function importLayer(fc: FeatureCollection, mapping: LayerMapping): LayerImport {
  if (!ZONE_KINDS.includes(mapping.kind)) throw new Error(`unknown zone kind "${mapping.kind}"`);
  const report: ImportReport = { imported: 0, repaired: [], merged: [], rejected: [] };
  const layer = mapping.layer;
  const groups = new Map<string, Group>();
  const seenGeometry = new Map<string, { zoneId: string; feature: number }>();
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new Error(`${layer}: not a GeoJSON FeatureCollection`);
  }
  fc.features.forEach((f: Feature, i) => {
    const props = (f.properties ?? {}) as Props;
    const problem = geometryProblem(f.geometry);
    if (problem) {
      const name = read(props, mapping.name);
      report.rejected.push({ layer, feature: i, reason: name ? `${problem} ("${name}")` : problem });
      return;
    }
    const g = f.geometry as ZoneGeometry;
    const isLine = g.type === 'LineString' || g.type === 'MultiLineString';
    if (isLine && !(lineBuffer(props, mapping) > 0)) {
      report.rejected.push({ layer, feature: i, reason: 'line feature without a buffer (bufferMeters)' });
      return;
    }
    const key =
      read(props, mapping.idProperty) ??
      (f.id !== undefined ? String(f.id) : undefined) ??
      (mapping.idProperty === undefined ? read(props, mapping.name) : undefined) ??
      `feature-${i}`;
    const id = `${mapping.idPrefix}${slug(key) || `feature-${i}`}`;
    const hash = geometryHash(g);
    const dup = seenGeometry.get(hash);
    if (dup) {
      report.merged.push({
        zoneId: dup.zoneId,
        layer,
        features: [dup.feature, i],
        what:
          dup.zoneId === id
            ? `feature ${i} repeats the geometry of feature ${dup.feature}; kept once`
            : `feature ${i} ("${read(props, mapping.name) ?? key}") duplicates the geometry of zone ${dup.zoneId} (feature ${dup.feature}); merged into it`,
      });
      const target = groups.get(dup.zoneId);
      target?.features.push(i);
      return;
    }
    seenGeometry.set(hash, { zoneId: id, feature: i });
    let group = groups.get(id);
    if (!group) {
      group = { id, features: [], polygons: [], lines: [], first: props };
      if (f.id !== undefined) group.featureId = String(f.id);
      groups.set(id, group);
    }
    group.features.push(i);
    if (g.type === 'Polygon') group.polygons.push(g.coordinates);
    else if (g.type === 'MultiPolygon') group.polygons.push(...g.coordinates);
    else if (g.type === 'LineString') group.lines.push(g.coordinates);
    else group.lines.push(...g.coordinates);
  });

  const zones: Zone[] = [];
  for (const group of groups.values()) {
    const props = group.first;
    const firstFeature = group.features[0] as number;
    const distinct = group.features.filter((f, k) => group.features.indexOf(f) === k);
    const combined = group.polygons.length > 0 || group.lines.length > 0 ? distinct.length : 0;
    if (combined > 1) {
      const parts = group.features.length;
      report.merged.push({
        zoneId: group.id,
        layer,
        features: distinct,
        what: `${parts} features of the same zone combined into one`,
      });
    }
    if (group.polygons.length > 0 && group.lines.length > 0) {
      report.rejected.push({ layer, feature: firstFeature, reason: `zone ${group.id} mixes polygons and lines` });
      continue;
    }
    const name = read(props, mapping.name) ?? group.id;
    let geometry: ZoneGeometry;
    let bufferMeters: number | undefined;
    if (group.polygons.length > 0) {
      let polygons = group.polygons;
      if (mapping.repairPolygons !== false) {
        try {
          const n = normalisePolygons(polygons);
          if (n.polygons.length === 0) {
            report.rejected.push({ layer, feature: firstFeature, reason: `zone ${group.id} ("${name}") has no area` });
            continue;
          }
          polygons = n.polygons;
          if (n.changes.length) report.repaired.push({ zoneId: group.id, feature: firstFeature, layer, what: n.changes.join('; ') });
        } catch (err) {
          report.repaired.push({
            zoneId: group.id,
            feature: firstFeature,
            layer,
            what: `could not normalise rings (${(err as Error).message}); kept as published, even–odd rule applies`,
          });
        }
      }
      geometry = polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] as Position[][] } : { type: 'MultiPolygon', coordinates: polygons };
    } else {
      bufferMeters = lineBuffer(props, mapping);
      const maxGap = mapping.joinGapMeters ?? bufferMeters;
      const j = joinLines(group.lines, maxGap);
      if (j.joined > 0 || j.bridged.length > 0) {
        const bridged = j.bridged.length
          ? `, ${j.bridged.length} gap(s) up to ${Math.round(Math.max(...j.bridged))} m bridged`
          : '';
        const left = j.remainingGaps.length
          ? `; ${j.lines.length} line(s) remain, nearest gaps ${Math.round(Math.min(...j.remainingGaps))}–${Math.round(Math.max(...j.remainingGaps))} m left open`
          : '';
        report.repaired.push({
          zoneId: group.id,
          feature: firstFeature,
          layer,
          what: `river pieces joined: ${group.lines.length} → ${j.lines.length} line(s) (${j.joined} touching${bridged})${left}`,
        });
      }
      geometry = j.lines.length === 1 ? { type: 'LineString', coordinates: j.lines[0] as Position[] } : { type: 'MultiLineString', coordinates: j.lines };
    }
    const zone: Zone = {
      id: group.id,
      kind: mapping.kind,
      name,
      authority: mapping.authority,
      legalBasis: read(props, mapping.legalBasis) ?? '',
      geometry,
    };
    const code = read(props, mapping.code);
    if (code !== undefined) zone.code = code;
    if (bufferMeters !== undefined) zone.bufferMeters = bufferMeters;
    const validFrom = read(props, mapping.validFrom);
    if (validFrom !== undefined) zone.validFrom = validFrom;
    const validTo = read(props, mapping.validTo);
    if (validTo !== undefined) zone.validTo = validTo;
    if (mapping.properties) {
      const out: Record<string, string | null> = {};
      for (const [k, src] of Object.entries(mapping.properties)) out[k] = read(props, src) ?? null;
      zone.properties = out;
    }
    zones.push(zone);
  }
  report.imported = zones.length;
  return { zones, report };
}

function lineBuffer(props: Props, mapping: LayerMapping): number {
  if (mapping.bufferProperty) {
    const v = Number(props[mapping.bufferProperty]);
    if (Number.isFinite(v) && v > 0) return v;
  }
  return mapping.bufferMeters ?? 0;
}

/** Content hash of a zone list: the catalogue version. Independent of input order. */
export function catalogueVersion(zones: readonly Zone[]): string {
  const h = createHash('sha256');
  for (const z of [...zones].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    h.update(JSON.stringify(z));
    h.update('\n');
  }
  return h.digest('hex').slice(0, 32);
}

export function makeCatalogue(zones: Zone[]): Catalogue {
  const sorted = [...zones].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if ((sorted[i] as Zone).id === (sorted[i - 1] as Zone).id) throw new Error(`duplicate zone id ${(sorted[i] as Zone).id}`);
  }
  return { version: catalogueVersion(sorted), zones: sorted };
}

export function mergeReports(reports: ImportReport[]): ImportReport {
  return {
    imported: reports.reduce((s, r) => s + r.imported, 0),
    repaired: reports.flatMap((r) => r.repaired),
    merged: reports.flatMap((r) => r.merged),
    rejected: reports.flatMap((r) => r.rejected),
  };
}

function isSource(v: unknown): v is AttributeSource {
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0);
  return typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'string';
}

/** Validate an attribute mapping received as JSON (API body, CLI file); throws with the field at fault. */
export function parseLayerMapping(input: unknown): LayerMapping {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('mapping: expected a JSON object');
  const m = input as Record<string, unknown>;
  const fail = (field: string, what: string): never => {
    throw new Error(`mapping.${field}: ${what}`);
  };
  for (const f of ['layer', 'authority', 'idPrefix']) {
    if (typeof m[f] !== 'string') fail(f, 'expected a string');
  }
  if (!ZONE_KINDS.includes(m.kind as ZoneKind)) fail('kind', `expected one of ${ZONE_KINDS.join(', ')}`);
  if (!isSource(m.name)) fail('name', 'expected a property name, a list of names or {"value": "..."}');
  for (const f of ['idProperty', 'code', 'legalBasis', 'validFrom', 'validTo']) {
    if (m[f] !== undefined && !isSource(m[f])) fail(f, 'expected a property name, a list of names or {"value": "..."}');
  }
  for (const f of ['bufferMeters', 'joinGapMeters']) {
    if (m[f] !== undefined && !(typeof m[f] === 'number' && Number.isFinite(m[f]) && (m[f] as number) >= 0)) {
      fail(f, 'expected a number ≥ 0');
    }
  }
  if (m.bufferProperty !== undefined && typeof m.bufferProperty !== 'string') fail('bufferProperty', 'expected a string');
  if (m.repairPolygons !== undefined && typeof m.repairPolygons !== 'boolean') fail('repairPolygons', 'expected true or false');
  if (m.properties !== undefined) {
    if (typeof m.properties !== 'object' || m.properties === null || Array.isArray(m.properties)) fail('properties', 'expected an object');
    for (const [k, v] of Object.entries(m.properties as Record<string, unknown>)) {
      if (!isSource(v)) fail(`properties.${k}`, 'expected a property name, a list of names or {"value": "..."}');
    }
  }
  return m as unknown as LayerMapping;
}
