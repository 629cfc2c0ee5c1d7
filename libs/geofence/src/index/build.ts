import { cellToBoundary, cellToChildren, cellToLatLng, getResolution, gridDisk, latLngToCell } from 'h3-js';
import type { Zone } from '../model';
import { onSegment } from '../geometry/orient';
import { cellKey } from '../h3/cell-key';
import {
  DEFAULT_INDEX_PARAMS,
  ENTRY_DEEPER,
  INDEX_FORMAT,
  REC_LINE,
  REC_REF_INSIDE,
  type FlatIndex,
  type IndexParams,
} from './flat-index';
import { edgesInRect, pointInPart, prepareZone, VertexPool, type Part } from './prepared';

export interface CellGeo {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  cx: number;
  cy: number;
}

interface BoundaryRec {
  part: number;
  edges: number[];
}

/** The zones' parts with their edges in one vertex pool: the same for every thread that builds the same index. */
export interface PreparedParts {
  params: IndexParams;
  parts: Part[];
  vertices: Float64Array;
}

export function prepareParts(zones: readonly Zone[], params: Partial<IndexParams> = {}): PreparedParts {
  const p: IndexParams = { ...DEFAULT_INDEX_PARAMS, ...params };
  const pool = new VertexPool();
  const parts: Part[] = [];
  zones.forEach((z, i) => parts.push(...prepareZone(z, i, pool, p.maxSegmentMeters)));
  return { params: p, parts, vertices: pool.toArray() };
}

/**
 * What rasterising some of the parts found, as arrays a thread can hand to another: cells fully inside a zone
 * (one entry per finding: resolution, cell key, zone) and boundary records (cell, part, crossing edges).
 */
export interface PartRaster {
  fullRes: Uint8Array;
  fullKey: Float64Array;
  fullZone: Int32Array;
  recCell: string[];
  recPart: Int32Array;
  /** Record i's edges are `recEdges[recEdgeStart[i] .. recEdgeStart[i + 1])`. */
  recEdgeStart: Int32Array;
  recEdges: Int32Array;
}

/**
 * Which of `shards` threads rasterises each part: the parts, largest first by edge count, each to the
 * least loaded thread so far. Deterministic, so every thread computes the same split.
 */
export function shardOfParts(parts: readonly Part[], shards: number): Int32Array {
  const shard = new Int32Array(parts.length);
  if (shards <= 1) return shard;
  const load = new Float64Array(shards);
  const order = [...parts.keys()].sort(
    (a, b) => (parts[b] as Part).edges.length - (parts[a] as Part).edges.length || a - b,
  );
  for (const pi of order) {
    let best = 0;
    for (let k = 1; k < shards; k++) if ((load[k] as number) < (load[best] as number)) best = k;
    shard[pi] = best;
    load[best] = (load[best] as number) + (parts[pi] as Part).edges.length + 64;
  }
  return shard;
}

/**
 * Rasterise the parts of one shard (all parts when `shards` is 1): each part top-down from `minRes`; a cell
 * whose (margin-expanded) bounding box meets no edge is either fully inside (recorded at that resolution) or
 * outside (dropped); a cell crossed by edges is split into its children down to `maxRes`, where it keeps the
 * crossing edges.
 */
export function rasteriseParts(prepared: PreparedParts, shard = 0, shards = 1): PartRaster {
  const { params: p, parts, vertices: v } = prepared;
  const owner = shardOfParts(parts, shards);
  const cellGeo = cellGeoCache(p.margin);
  const fullRes: number[] = [];
  const fullKey: number[] = [];
  const fullZone: number[] = [];
  const recCell: string[] = [];
  const recPart: number[] = [];
  const recEdgeStart: number[] = [0];
  const recEdges: number[] = [];

  const visit = (pi: number, part: Part, cell: string, r: number): void => {
    const g = cellGeo(cell);
    const edges = edgesInRect(part, v, g.x0, g.y0, g.x1, g.y1);
    if (edges.length === 0) {
      if (!part.isLine && pointInPart(part, v, g.cx, g.cy) === 1) {
        // Above minRes (very large zones), record the covered cells at minRes.
        const covered = r < p.minRes ? cellToChildren(cell, p.minRes) : [cell];
        const level = Math.max(r, p.minRes);
        for (const c of covered) {
          fullRes.push(level);
          fullKey.push(cellKey(c));
          fullZone.push(part.zone);
        }
      }
      return;
    }
    if (r === p.maxRes || (r >= p.minRes && edges.length <= p.leafEdges)) {
      recCell.push(cell);
      recPart.push(pi);
      for (const e of edges) recEdges.push(e);
      recEdgeStart.push(recEdges.length);
      return;
    }
    for (const child of cellToChildren(cell, r + 1)) visit(pi, part, child, r + 1);
  };

  parts.forEach((part, pi) => {
    if (owner[pi] !== shard) return;
    const { res, cells } = startCells(part, p.minRes);
    for (const cell of cells) visit(pi, part, cell, res);
  });
  return {
    fullRes: Uint8Array.from(fullRes),
    fullKey: Float64Array.from(fullKey),
    fullZone: Int32Array.from(fullZone),
    recCell,
    recPart: Int32Array.from(recPart),
    recEdgeStart: Int32Array.from(recEdgeStart),
    recEdges: Int32Array.from(recEdges),
  };
}

/** The typed arrays of a raster, for a thread's transfer list. */
export function rasterTransferList(raster: PartRaster): ArrayBuffer[] {
  const { fullRes, fullKey, fullZone, recPart, recEdgeStart, recEdges } = raster;
  return [fullRes, fullKey, fullZone, recPart, recEdgeStart, recEdges].map((a) => a.buffer as ArrayBuffer);
}

function cellGeoCache(margin: number): (cell: string) => CellGeo {
  const geoCache = new Map<string, CellGeo>();
  return (cell: string): CellGeo => {
    let g = geoCache.get(cell);
    if (g) return g;
    g = cellRect(cell, margin);
    if (geoCache.size >= 100000) geoCache.clear();
    geoCache.set(cell, g);
    return g;
  };
}

/** Build the cell index of a set of zones on this thread. */
export function buildFlatIndex(
  zones: readonly Zone[],
  catalogueVersion: string,
  params: Partial<IndexParams> = {},
): FlatIndex {
  const started = Date.now();
  const prepared = prepareParts(zones, params);
  return assembleFlatIndex(zones, catalogueVersion, prepared, [rasteriseParts(prepared)], started);
}

/** The index from the rasters of all shards of the prepared parts. */
export function assembleFlatIndex(
  zones: readonly Zone[],
  catalogueVersion: string,
  prepared: PreparedParts,
  rasters: readonly PartRaster[],
  started = Date.now(),
): FlatIndex {
  const { params: p, parts, vertices: v } = prepared;
  const cellGeo = cellGeoCache(p.margin);
  // full[r]: key -> zone indices; boundary: cell -> records
  const full: Map<number, Set<number>>[] = [];
  for (let r = 0; r <= p.maxRes; r++) full.push(new Map());
  const boundary = new Map<string, BoundaryRec[]>();
  let fullCells = 0;
  for (const raster of rasters) {
    for (let i = 0; i < raster.fullZone.length; i++) {
      const level = full[raster.fullRes[i] as number] as Map<number, Set<number>>;
      const key = raster.fullKey[i] as number;
      let s = level.get(key);
      if (!s) level.set(key, (s = new Set()));
      s.add(raster.fullZone[i] as number);
      fullCells++;
    }
    for (let i = 0; i < raster.recCell.length; i++) {
      const cell = raster.recCell[i] as string;
      let recs = boundary.get(cell);
      if (!recs) boundary.set(cell, (recs = []));
      const edges = Array.from(raster.recEdges.subarray(raster.recEdgeStart[i], raster.recEdgeStart[i + 1]));
      recs.push({ part: raster.recPart[i] as number, edges });
    }
  }

  // Collect entries: every cell with content, plus its ancestors down to minRes.
  const entryIndex: Map<number, number>[] = [];
  for (let r = 0; r <= p.maxRes; r++) entryIndex.push(new Map());
  const eKey: number[] = [];
  const eRes: number[] = [];
  const ensure = (key: number, r: number): number => {
    const m = entryIndex[r] as Map<number, number>;
    let i = m.get(key);
    if (i !== undefined) return i;
    i = eKey.length;
    m.set(key, i);
    eKey.push(key);
    eRes.push(r);
    if (r > p.minRes) ensure(Math.floor(key / 8), r - 1);
    return i;
  };
  // In key order, so that the index is the same however its parts were shared out between threads.
  for (let r = p.minRes; r <= p.maxRes; r++) {
    for (const key of [...(full[r] as Map<number, Set<number>>).keys()].sort((a, b) => a - b)) ensure(key, r);
  }
  const boundaryCells = [...boundary.keys()].sort();
  for (const cell of boundaryCells) ensure(cellKey(cell), getResolution(cell));

  const n = eKey.length;
  const entryFlags = new Uint8Array(n);
  const parentOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = eRes[i] as number;
    if (r > p.minRes) {
      const pIdx = (entryIndex[r - 1] as Map<number, number>).get(
        Math.floor((eKey[i] as number) / 8),
      ) as number;
      parentOf[i] = pIdx;
      entryFlags[pIdx] = (entryFlags[pIdx] as number) | ENTRY_DEEPER;
    }
  }
  // Cumulative full lists, computed in resolution order, interned.
  const order = [...Array(n).keys()].sort((a, b) => (eRes[a] as number) - (eRes[b] as number));
  const cumulative: number[][] = new Array(n);
  const listIds = new Map<string, number>();
  const listStart: number[] = [0];
  const listPool: number[] = [];
  const intern = (list: number[]): number => {
    const k = list.join(',');
    let id = listIds.get(k);
    if (id === undefined) {
      id = listIds.size;
      listIds.set(k, id);
      listPool.push(...list);
      listStart.push(listPool.length);
    }
    return id;
  };
  intern([]);
  const entryList = new Int32Array(n);
  for (const i of order) {
    const parent = parentOf[i] as number;
    const base = parent >= 0 ? (cumulative[parent] as number[]) : [];
    const own = (full[eRes[i] as number] as Map<number, Set<number>>).get(eKey[i] as number);
    let list = base;
    if (own) {
      const s = new Set(base);
      for (const z of own) s.add(z);
      list = [...s].sort((a, b) => a - b);
    }
    cumulative[i] = list;
    entryList[i] = intern(list);
  }

  // Boundary records with a reference point per cell.
  const entryRecStart = new Int32Array(n);
  const entryRecCount = new Int32Array(n);
  const entryRef = new Float64Array(2 * n);
  const recZone: number[] = [];
  const recFlags: number[] = [];
  const recRunStart: number[] = [];
  const recRunCount: number[] = [];
  const runPool: number[] = [];
  for (const cell of boundaryCells) {
    const i = (entryIndex[getResolution(cell)] as Map<number, number>).get(cellKey(cell)) as number;
    const covered = new Set(cumulative[i]);
    const recs = (boundary.get(cell) as BoundaryRec[])
      .filter((rec) => !covered.has((parts[rec.part] as Part).zone))
      .sort((a, b) => (parts[a.part] as Part).zone - (parts[b.part] as Part).zone || a.part - b.part);
    const g = cellGeo(cell);
    const [cx, cy] = referencePoint(g, recs, parts, v);
    entryRef[2 * i] = cx;
    entryRef[2 * i + 1] = cy;
    entryRecStart[i] = recZone.length;
    entryRecCount[i] = recs.length;
    for (const rec of recs) {
      const part = parts[rec.part] as Part;
      recZone.push(part.zone);
      let flags = 0;
      if (part.isLine) flags |= REC_LINE;
      else if (pointInPart(part, v, cx, cy) === 1) flags |= REC_REF_INSIDE;
      recFlags.push(flags);
      recRunStart.push(runPool.length / 2);
      let runs = 0;
      let k = 0;
      while (k < rec.edges.length) {
        const first = rec.edges[k] as number;
        let len = 1;
        while (k + len < rec.edges.length && rec.edges[k + len] === first + len) len++;
        runPool.push(first, len);
        runs++;
        k += len;
      }
      recRunCount.push(runs);
    }
  }

  const zoneBuffer = new Float64Array(zones.length);
  zones.forEach((z, i) => {
    if (z.geometry.type === 'LineString' || z.geometry.type === 'MultiLineString')
      zoneBuffer[i] = z.bufferMeters ?? 0;
  });

  return {
    format: INDEX_FORMAT,
    catalogueVersion,
    params: p,
    zoneCount: zones.length,
    entryKey: Float64Array.from(eKey),
    entryRes: Uint8Array.from(eRes),
    entryFlags,
    entryList,
    entryRecStart,
    entryRecCount,
    entryRef,
    listStart: Int32Array.from(listStart),
    listPool: Int32Array.from(listPool),
    recZone: Int32Array.from(recZone),
    recFlags: Uint8Array.from(recFlags),
    recRunStart: Int32Array.from(recRunStart),
    recRunCount: Int32Array.from(recRunCount),
    runPool: Int32Array.from(runPool),
    vertices: v,
    zoneBuffer,
    stats: {
      buildMs: Date.now() - started,
      entries: n,
      boundaryCells: boundaryCells.length,
      records: recZone.length,
      fullCells,
      vertices: v.length / 2,
      runs: runPool.length / 2,
    },
  };
}

/**
 * The cell's lon/lat bounding box expanded by `margin` × its size on each side, and its centre.
 * Every point whose fine cell descends from this cell lies inside the box (see docs/geofence.md).
 */
export function cellRect(cell: string, margin: number): CellGeo {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [lat, lng] of cellToBoundary(cell)) {
    if (lng < x0) x0 = lng;
    if (lng > x1) x1 = lng;
    if (lat < y0) y0 = lat;
    if (lat > y1) y1 = lat;
  }
  const mx = (x1 - x0) * margin;
  const my = (y1 - y0) * margin;
  const [cy, cx] = cellToLatLng(cell);
  const g = { x0: x0 - mx, y0: y0 - my, x1: x1 + mx, y1: y1 + my, cx, cy };
  // Cells across the antimeridian or around a pole: take the whole longitude range (and the pole).
  if (x1 - x0 > 180 || g.y1 > 85 || g.y0 < -85) {
    g.x0 = -180;
    g.x1 = 180;
    if (g.y1 > 85) g.y1 = 90;
    if (g.y0 < -85) g.y0 = -90;
  }
  return g;
}

/**
 * Cells whose area may meet the part's bounding box (expanded by its buffer), at `minRes` or, for
 * very large boxes, at the finest coarser resolution that keeps the sampling small.
 */
function startCells(part: Part, minRes: number): { res: number; cells: string[] } {
  const x0 = Math.max(-180, part.x0 - part.bufLon);
  const x1 = Math.min(180, part.x1 + part.bufLon);
  const y0 = Math.max(-90, part.y0 - part.bufLat);
  const y1 = Math.min(90, part.y1 + part.bufLat);
  // Sample the box at a spacing well under the cell size; neighbours cover the rest.
  let res = minRes;
  const stepAt = (r: number): number => 0.25 / Math.pow(Math.sqrt(7), r - 3);
  while (res > 0 && ((x1 - x0) / stepAt(res) + 2) * ((y1 - y0) / stepAt(res) + 2) > 20000) res--;
  const step = stepAt(res);
  const seeds = new Set<string>();
  for (let y = y0; ; y += step) {
    const yy = Math.min(y, y1);
    for (let x = x0; ; x += step) {
      const xx = Math.min(x, x1);
      seeds.add(latLngToCell(yy, xx, res));
      if (xx >= x1) break;
    }
    if (yy >= y1) break;
  }
  const out = new Set<string>();
  for (const s of seeds) for (const c of gridDisk(s, 1)) out.add(c);
  return { res, cells: [...out].sort() };
}

/** The cell centre, nudged if it lies exactly on an edge of a polygon record. */
function referencePoint(g: CellGeo, recs: BoundaryRec[], parts: Part[], v: Float64Array): [number, number] {
  const onAnyEdge = (x: number, y: number): boolean =>
    recs.some(
      (rec) =>
        !(parts[rec.part] as Part).isLine &&
        rec.edges.some((k) =>
          onSegment(
            v[2 * k] as number,
            v[2 * k + 1] as number,
            v[2 * k + 2] as number,
            v[2 * k + 3] as number,
            x,
            y,
          ),
        ),
    );
  let x = g.cx;
  let y = g.cy;
  const dx = (g.x1 - g.x0) * 1e-3;
  for (let attempt = 1; onAnyEdge(x, y) && attempt < 50; attempt++) {
    x = g.cx + dx * attempt * 0.37;
    y = g.cy + dx * attempt * 0.23;
  }
  return [x, y];
}
