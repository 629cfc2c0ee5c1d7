import { createHash } from 'crypto';
import type { Feature, FeatureCollection, Geometry, LineString, MultiLineString, Position } from 'geojson';
import {
  ZONE_KINDS,
  type Catalogue,
  type ImportReport,
  type NameCheckEntry,
  type NameCheckStatus,
  type Zone,
  type ZoneGeometry,
  type ZoneKind,
  type ZoneSourceFeature,
} from '../model';
import { joinLines, normalisePolygons } from './geometry-repair';
import {
  checkLineNames,
  DEFAULT_NAME_CHECK,
  riverKey,
  type NameCheckParams,
  type PieceVerdict,
  type ReferenceLine,
} from './name-check';
import { slug } from './slug';

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
  /**
   * For line layers: check each piece's name against the reference lines passed to `importLayer` (other river
   * layers). `description` names the layer in the zone name of an unverified piece, in Spanish: "cuerpo de agua de
   * <description>, cerca del Río X".
   */
  checkNames?: { description: string; corridorMeters?: number; followShare?: number; correctShare?: number };
}

export interface ImportOptions {
  /** Named centerlines of other layers, the second source for `checkNames`. */
  references?: readonly ReferenceLine[];
  /** Called after each zone is built (repaired, buffered) with the zones done and the zones to build. */
  onProgress?: (done: number, total: number) => void;
}

export interface LayerImport {
  zones: Zone[];
  report: ImportReport;
}

type Props = Record<string, unknown>;

function read(props: Props, src: AttributeSource | undefined): string | undefined {
  return readWithKey(props, src)?.value;
}

/** The value and the property it came from (none for a fixed value). */
function readWithKey(
  props: Props,
  src: AttributeSource | undefined,
): { value: string; key?: string } | undefined {
  if (src === undefined) return undefined;
  if (typeof src === 'object' && !Array.isArray(src)) return { value: src.value };
  for (const key of Array.isArray(src) ? src : [src]) {
    const v = props[key];
    if (v === null || v === undefined) continue;
    const s = String(v).trim();
    if (s !== '') return { value: s, key };
  }
  return undefined;
}

export { slug };

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
      if (poly.length === 0 || (poly[0] as Position[]).length < 4)
        return 'polygon outer ring has fewer than 4 positions';
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

interface LinePiece {
  coords: Position[];
  feature: number;
  /** Index of the LineString within its feature. */
  piece: number;
  nameCheck?: NameCheckStatus;
}

interface Group {
  id: string;
  features: number[];
  polygons: Position[][][];
  lines: LinePiece[];
  first: Props;
  /** Name and extra properties set by the name check (unverified pieces). */
  shownName?: string;
  extraProperties?: Record<string, string>;
}

interface PublishedFeature {
  id?: string;
  name?: string;
  pieces: number;
}

/**
 * Import one GeoJSON layer: validate every feature, combine features of the same zone, drop exact
 * duplicates, resolve self-intersecting rings, join river pieces. Every feature ends up in a zone
 * or in `rejected`; every change is listed in `repaired` or `merged`.
 */
export function importLayer(
  fc: FeatureCollection,
  mapping: LayerMapping,
  options: ImportOptions = {},
): LayerImport {
  if (!ZONE_KINDS.includes(mapping.kind)) throw new Error(`unknown zone kind "${mapping.kind}"`);
  const report: ImportReport = { imported: 0, repaired: [], merged: [], rejected: [], names: [] };
  const layer = mapping.layer;
  const groups = new Map<string, Group>();
  const published = new Map<number, PublishedFeature>();
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
    const publishedId = f.id !== undefined ? String(f.id) : read(props, mapping.idProperty);
    const nameRead = readWithKey(props, mapping.name);
    const publishedName = nameRead?.key !== undefined ? nameRead.value : undefined;
    published.set(i, {
      ...(publishedId !== undefined ? { id: publishedId } : {}),
      ...(publishedName !== undefined ? { name: publishedName } : {}),
      pieces: g.type === 'MultiLineString' ? g.coordinates.length : 1,
    });
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
      groups.set(id, group);
    }
    group.features.push(i);
    if (g.type === 'Polygon') group.polygons.push(g.coordinates);
    else if (g.type === 'MultiPolygon') group.polygons.push(...g.coordinates);
    else if (g.type === 'LineString') group.lines.push({ coords: g.coordinates, feature: i, piece: 0 });
    else group.lines.push(...g.coordinates.map((coords, piece) => ({ coords, feature: i, piece })));
  });

  if (mapping.checkNames && options.references && options.references.length > 0) {
    report.names = checkNames(groups, published, mapping, options.references);
  }

  const zones: Zone[] = [];
  let built = 0;
  for (const group of groups.values()) {
    if (built > 0) options.onProgress?.(built, groups.size);
    built++;
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
    if (group.polygons.length === 0 && group.lines.length === 0) continue;
    if (group.polygons.length > 0 && group.lines.length > 0) {
      report.rejected.push({
        layer,
        feature: firstFeature,
        reason: `zone ${group.id} mixes polygons and lines`,
      });
      continue;
    }
    const name = group.shownName ?? read(props, mapping.name) ?? group.id;
    let geometry: ZoneGeometry;
    let bufferMeters: number | undefined;
    if (group.polygons.length > 0) {
      let polygons = group.polygons;
      if (mapping.repairPolygons !== false) {
        try {
          const n = normalisePolygons(polygons);
          if (n.polygons.length === 0) {
            report.rejected.push({
              layer,
              feature: firstFeature,
              reason: `zone ${group.id} ("${name}") has no area`,
            });
            continue;
          }
          polygons = n.polygons;
          if (n.changes.length)
            report.repaired.push({
              zoneId: group.id,
              feature: firstFeature,
              layer,
              what: n.changes.join('; '),
            });
        } catch (err) {
          report.repaired.push({
            zoneId: group.id,
            feature: firstFeature,
            layer,
            what: `could not normalise rings (${(err as Error).message}); kept as published, even–odd rule applies`,
          });
        }
      }
      geometry =
        polygons.length === 1
          ? { type: 'Polygon', coordinates: polygons[0] as Position[][] }
          : { type: 'MultiPolygon', coordinates: polygons };
    } else {
      bufferMeters = lineBuffer(props, mapping);
      const maxGap = mapping.joinGapMeters ?? bufferMeters;
      const j = joinLines(
        group.lines.map((l) => l.coords),
        maxGap,
      );
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
      geometry =
        j.lines.length === 1
          ? { type: 'LineString', coordinates: j.lines[0] as Position[] }
          : { type: 'MultiLineString', coordinates: j.lines };
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
    if (mapping.properties || group.extraProperties) {
      const out: Record<string, string | null> = {};
      for (const [k, src] of Object.entries(mapping.properties ?? {})) out[k] = read(props, src) ?? null;
      zone.properties = { ...out, ...group.extraProperties };
    }
    const nameAttribute = readWithKey(props, mapping.name)?.key;
    zone.source = {
      layer,
      ...(nameAttribute !== undefined ? { nameAttribute } : {}),
      features: sourceFeatures(group, published),
    };
    zones.push(zone);
  }
  report.imported = zones.length;
  return { zones, report };
}

/** Where each published feature's pieces ended up, by name-check outcome, in the order of the layer. */
function sourceFeatures(group: Group, published: Map<number, PublishedFeature>): ZoneSourceFeature[] {
  const describe = (index: number): ZoneSourceFeature => {
    const p = published.get(index);
    return {
      index,
      ...(p?.id !== undefined ? { id: p.id } : {}),
      ...(p?.name !== undefined ? { name: p.name } : {}),
    };
  };
  if (group.lines.length === 0) {
    return [...new Set(group.features)].sort((a, b) => a - b).map(describe);
  }
  const parts = new Map<string, { index: number; status?: NameCheckStatus; pieces: number[] }>();
  for (const line of group.lines) {
    const key = `${line.feature}|${line.nameCheck ?? ''}`;
    let part = parts.get(key);
    if (!part) {
      part = { index: line.feature, ...(line.nameCheck ? { status: line.nameCheck } : {}), pieces: [] };
      parts.set(key, part);
    }
    part.pieces.push(line.piece);
  }
  for (const index of group.features) {
    if (![...parts.values()].some((part) => part.index === index))
      parts.set(`${index}|`, { index, pieces: [] });
  }
  return [...parts.values()]
    .sort((a, b) => a.index - b.index || (a.status ?? '').localeCompare(b.status ?? ''))
    .map((part) => {
      const whole =
        part.pieces.length === 0 || part.pieces.length === (published.get(part.index)?.pieces ?? 0);
      return {
        ...describe(part.index),
        ...(whole ? {} : { pieces: part.pieces.sort((a, b) => a - b) }),
        ...(part.status ? { nameCheck: part.status } : {}),
      };
    });
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/**
 * Checks the name of every line piece against the reference centerlines, then moves corrected pieces to the zone of
 * the layer that carries the right name and unverified ones to a zone whose name says so. Returns the report entries.
 */
function checkNames(
  groups: Map<string, Group>,
  published: Map<number, PublishedFeature>,
  mapping: LayerMapping,
  references: readonly ReferenceLine[],
): NameCheckEntry[] {
  const check = mapping.checkNames as NonNullable<LayerMapping['checkNames']>;
  const lineGroups = [...groups.values()].filter((g) => g.lines.length > 0 && g.polygons.length === 0);
  const groupName = (g: Group) => read(g.first, mapping.name) ?? g.id;
  const byKey = new Map<string, Group>();
  for (const g of lineGroups) if (!byKey.has(riverKey(groupName(g)))) byKey.set(riverKey(groupName(g)), g);
  const owners: { group: Group; line: LinePiece }[] = lineGroups.flatMap((group) =>
    group.lines.map((line) => ({ group, line })),
  );
  const params: Partial<NameCheckParams> = {
    ...(check.corridorMeters !== undefined ? { corridorMeters: check.corridorMeters } : {}),
    ...(check.followShare !== undefined ? { followShare: check.followShare } : {}),
    ...(check.correctShare !== undefined ? { correctShare: check.correctShare } : {}),
  };
  const corridor = check.corridorMeters ?? DEFAULT_NAME_CHECK.corridorMeters;
  const verdicts = checkLineNames(
    owners.map(({ line }) => ({
      feature: line.feature,
      piece: line.piece,
      name: published.get(line.feature)?.name ?? '',
      coords: line.coords,
    })),
    references,
    params,
  );

  type Contradiction = Extract<PieceVerdict, { status: 'corrected' | 'unverified' }>;
  const moves = new Map<
    string,
    {
      from: Group;
      to: Group;
      feature: number;
      action: Contradiction['status'];
      verdicts: Contradiction[];
      pieces: number[];
    }
  >();
  owners.forEach(({ group, line }, k) => {
    const verdict = verdicts[k] as PieceVerdict;
    line.nameCheck = verdict.status;
    if (verdict.status !== 'corrected' && verdict.status !== 'unverified') return;
    const refKey = riverKey(verdict.reference.name);
    let target = verdict.status === 'corrected' ? byKey.get(refKey) : undefined;
    let action: Contradiction['status'] = verdict.status;
    if (!target) {
      action = 'unverified';
      line.nameCheck = 'unverified';
      const near = byKey.get(refKey)
        ? groupName(byKey.get(refKey) as Group)
        : `Río ${verdict.reference.name}`;
      const id = `${group.id}-unverified-${slug(refKey)}`;
      target = groups.get(id);
      if (!target) {
        const publishedName = published.get(line.feature)?.name ?? groupName(group);
        target = {
          id,
          features: [],
          polygons: [],
          lines: [],
          first: group.first,
          shownName: `cuerpo de agua de ${check.description}, cerca del ${near}`,
          extraProperties: { publishedName, nameCheck: 'unverified' },
        };
        groups.set(id, target);
      }
      if (!target.features.includes(line.feature)) target.features.push(line.feature);
    }
    if (target === group) return;
    group.lines.splice(group.lines.indexOf(line), 1);
    target.lines.push(line);
    const key = `${group.id}|${target.id}|${line.feature}|${action}`;
    const move = moves.get(key) ?? {
      from: group,
      to: target,
      feature: line.feature,
      action,
      verdicts: [],
      pieces: [],
    };
    move.verdicts.push(verdict);
    move.pieces.push(line.piece);
    moves.set(key, move);
  });
  const moved = new Set([...moves.values()].map((m) => m.feature));
  for (const g of lineGroups)
    g.features = g.features.filter((f) => !moved.has(f) || g.lines.some((l) => l.feature === f));

  const km = (metres: number) => `${(metres / 1000).toFixed(1)} km`;
  return [...moves.values()].map((move) => {
    const ref = (move.verdicts[0] as Contradiction).reference;
    const name = published.get(move.feature)?.name ?? groupName(move.from);
    const direct = move.verdicts.filter((v) => v.continues === undefined);
    const continuing = move.verdicts.filter((v) => v.continues !== undefined);
    const total = (vs: Contradiction[], of: (v: Contradiction) => number) =>
      vs.reduce((sum, v) => sum + of(v) * v.lengthMeters, 0);
    const corroboration = move.verdicts.every((v) => v.corroborated)
      ? `, on the stretch this layer's own "${groupName(byKey.get(riverKey(ref.name)) as Group)}" follows`
      : ', where this layer has no river of that name (a single generalised source)';
    const rivals = [...new Set(move.verdicts.flatMap((v) => v.others.slice(1).map((o) => o.name)))];
    const evidence: string[] = [];
    if (direct.length > 0) {
      const length = total(direct, () => 1);
      evidence.push(
        `${direct.length} piece(s), ${km(length)}: ${percent(total(direct, (v) => v.share) / length)} of the length within ${corridor} m of "${ref.name}" (${ref.layer})${corroboration}, ` +
          `${percent(total(direct, (v) => v.ownShare) / length)} near a centerline named "${name}"`,
      );
    }
    if (continuing.length > 0) {
      const length = total(continuing, () => 1);
      evidence.push(
        `${continuing.length} piece(s), ${km(length)}, meeting a contradicted piece of the same feature: ${percent(total(continuing, (v) => v.share) / length)} of the length within ${DEFAULT_NAME_CHECK.continuityCorridorMeters} m of "${ref.name}" (${ref.layer})`,
      );
    }
    if (rivals.length) evidence.push(`also near ${rivals.map((r) => `"${r}"`).join(', ')}`);
    const featureId = published.get(move.feature)?.id;
    return {
      zoneId: move.to.id,
      layer: mapping.layer,
      feature: move.feature,
      ...(featureId !== undefined ? { featureId } : {}),
      pieces: move.pieces.sort((a, b) => a - b),
      name,
      action: move.action,
      shownAs: move.to.shownName ?? groupName(move.to),
      secondSource: {
        layer: ref.layer,
        name: ref.name,
        ...(ref.zoneId !== undefined ? { zoneId: ref.zoneId } : {}),
      },
      evidence: evidence.join('; '),
    };
  });
}

function lineBuffer(props: Props, mapping: LayerMapping): number {
  if (mapping.bufferProperty) {
    const v = Number(props[mapping.bufferProperty]);
    if (Number.isFinite(v) && v > 0) return v;
  }
  return mapping.bufferMeters ?? 0;
}

/** The line zones (rivers) among `zones`, as the named centerlines another layer's names are checked against. */
export function referenceLines(zones: readonly Zone[]): ReferenceLine[] {
  return zones.flatMap((zone) => {
    const g = zone.geometry;
    if (g.type !== 'LineString' && g.type !== 'MultiLineString') return [];
    if (zone.properties?.nameCheck === 'unverified') return [];
    const layer = zone.source?.layer ?? zone.id;
    return [
      {
        layer,
        name: zone.name,
        zoneId: zone.id,
        lines: g.type === 'LineString' ? [g.coordinates] : g.coordinates,
      },
    ];
  });
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
    if ((sorted[i] as Zone).id === (sorted[i - 1] as Zone).id)
      throw new Error(`duplicate zone id ${(sorted[i] as Zone).id}`);
  }
  return { version: catalogueVersion(sorted), zones: sorted };
}

export function mergeReports(reports: ImportReport[]): ImportReport {
  return {
    imported: reports.reduce((s, r) => s + r.imported, 0),
    repaired: reports.flatMap((r) => r.repaired),
    merged: reports.flatMap((r) => r.merged),
    rejected: reports.flatMap((r) => r.rejected),
    names: reports.flatMap((r) => r.names ?? []),
  };
}

function isSource(v: unknown): v is AttributeSource {
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0);
  return typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'string';
}

/** Validate an attribute mapping received as JSON (API body, CLI file); throws with the field at fault. */
export function parseLayerMapping(input: unknown): LayerMapping {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('mapping: expected a JSON object');
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
    if (m[f] !== undefined && !isSource(m[f]))
      fail(f, 'expected a property name, a list of names or {"value": "..."}');
  }
  for (const f of ['bufferMeters', 'joinGapMeters']) {
    if (m[f] !== undefined && !(typeof m[f] === 'number' && Number.isFinite(m[f]) && (m[f] as number) >= 0)) {
      fail(f, 'expected a number ≥ 0');
    }
  }
  if (m.bufferProperty !== undefined && typeof m.bufferProperty !== 'string')
    fail('bufferProperty', 'expected a string');
  if (m.repairPolygons !== undefined && typeof m.repairPolygons !== 'boolean')
    fail('repairPolygons', 'expected true or false');
  if (m.checkNames !== undefined) {
    const c = m.checkNames as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('checkNames', 'expected an object');
    else {
      if (typeof c.description !== 'string' || c.description.trim() === '')
        fail('checkNames.description', 'expected a string');
      if (c.corridorMeters !== undefined && !(typeof c.corridorMeters === 'number' && c.corridorMeters > 0)) {
        fail('checkNames.corridorMeters', 'expected a number > 0');
      }
      for (const f of ['followShare', 'correctShare']) {
        const v = c[f];
        if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= 1))
          fail(`checkNames.${f}`, 'expected a number in (0, 1]');
      }
    }
  }
  if (m.properties !== undefined) {
    if (typeof m.properties !== 'object' || m.properties === null || Array.isArray(m.properties))
      fail('properties', 'expected an object');
    for (const [k, v] of Object.entries(m.properties as Record<string, unknown>)) {
      if (!isSource(v))
        fail(`properties.${k}`, 'expected a property name, a list of names or {"value": "..."}');
    }
  }
  return m as unknown as LayerMapping;
}
