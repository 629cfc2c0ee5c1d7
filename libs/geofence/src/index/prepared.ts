import type { Position } from 'geojson';
import type { Zone } from '../model';
import { metresPerDegree } from '../geometry/ellipsoid';
import { orient, segmentIntersectsRect } from '../geometry/orient';

/**
 * A zone part ready for indexing: one polygon (outer ring and holes, tested with the even–odd rule)
 * or all the lines of a river zone. Edges are (k, k+1) in the shared vertex pool; a uniform grid over
 * the part's bounding box finds the edges near a rectangle and answers point-in-polygon tests.
 */
export interface Part {
  zone: number;
  isLine: boolean;
  bufferMeters: number;
  /** Buffer expressed in degrees (conservative), for line parts. */
  bufLon: number;
  bufLat: number;
  /** First vertex of each edge. */
  edges: Int32Array;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  nx: number;
  ny: number;
  cw: number;
  ch: number;
  gridStart: Int32Array;
  gridItems: Int32Array;
  stamp: Int32Array;
  stampGen: number;
}

export class VertexPool {
  private data: number[] = [];
  get count(): number {
    return this.data.length / 2;
  }
  push(x: number, y: number): void {
    this.data.push(x, y);
  }
  toArray(): Float64Array {
    return Float64Array.from(this.data);
  }
  x(k: number): number {
    return this.data[2 * k] as number;
  }
  y(k: number): number {
    return this.data[2 * k + 1] as number;
  }
}

function ringEdges(pool: VertexPool, ring: Position[], edges: number[]): void {
  if (ring.length < 2) return;
  const first = pool.count;
  for (const p of ring) pool.push(p[0] as number, p[1] as number);
  const f = ring[0] as Position;
  const l = ring[ring.length - 1] as Position;
  if (f[0] !== l[0] || f[1] !== l[1]) pool.push(f[0] as number, f[1] as number);
  const last = pool.count - 1;
  for (let k = first; k < last; k++) {
    if (pool.x(k) !== pool.x(k + 1) || pool.y(k) !== pool.y(k + 1)) edges.push(k);
  }
}

function lineEdges(pool: VertexPool, line: Position[], maxSegmentMeters: number, edges: number[]): void {
  if (line.length < 2) return;
  const first = pool.count;
  for (let i = 0; i < line.length; i++) {
    const p = line[i] as Position;
    const px = p[0] as number;
    const py = p[1] as number;
    if (i > 0) {
      const q = line[i - 1] as Position;
      const qx = q[0] as number;
      const qy = q[1] as number;
      const { kx, ky } = metresPerDegree((py + qy) / 2);
      const len = Math.hypot((px - qx) * kx, (py - qy) * ky);
      const pieces = Math.ceil(len / maxSegmentMeters);
      for (let j = 1; j < pieces; j++) {
        const t = j / pieces;
        pool.push(qx + (px - qx) * t, qy + (py - qy) * t);
      }
    }
    pool.push(px, py);
  }
  const last = pool.count - 1;
  for (let k = first; k < last; k++) {
    if (pool.x(k) !== pool.x(k + 1) || pool.y(k) !== pool.y(k + 1)) edges.push(k);
  }
}

function makePart(zone: number, isLine: boolean, bufferMeters: number, edgeList: number[], pool: VertexPool): Part | null {
  if (edgeList.length === 0) return null;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const k of edgeList) {
    for (const v of [k, k + 1]) {
      const x = pool.x(v);
      const y = pool.y(v);
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  let bufLon = 0;
  let bufLat = 0;
  if (isLine) {
    const maxAbsLat = Math.min(89, Math.max(Math.abs(y0), Math.abs(y1)) + 1);
    const { kx, ky } = metresPerDegree(maxAbsLat);
    bufLat = (bufferMeters / Math.min(ky, metresPerDegree(0).ky)) * 1.01 + 1e-9;
    bufLon = (bufferMeters / kx) * 1.01 + 1e-9;
  }
  const n = edgeList.length;
  const side = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(n / 2))));
  const w = Math.max(x1 - x0, 1e-9);
  const h = Math.max(y1 - y0, 1e-9);
  const nx = side;
  const ny = side;
  const cw = w / nx;
  const ch = h / ny;
  const counts = new Int32Array(nx * ny + 1);
  const cellRange = (k: number): [number, number, number, number] => {
    const ax = pool.x(k);
    const ay = pool.y(k);
    const bx = pool.x(k + 1);
    const by = pool.y(k + 1);
    const gx0 = clamp(Math.floor((Math.min(ax, bx) - x0) / cw), nx);
    const gx1 = clamp(Math.floor((Math.max(ax, bx) - x0) / cw), nx);
    const gy0 = clamp(Math.floor((Math.min(ay, by) - y0) / ch), ny);
    const gy1 = clamp(Math.floor((Math.max(ay, by) - y0) / ch), ny);
    return [gx0, gx1, gy0, gy1];
  };
  for (const k of edgeList) {
    const [gx0, gx1, gy0, gy1] = cellRange(k);
    for (let gy = gy0; gy <= gy1; gy++) for (let gx = gx0; gx <= gx1; gx++) (counts[gy * nx + gx] as number)++;
  }
  const gridStart = new Int32Array(nx * ny + 1);
  for (let i = 0; i < nx * ny; i++) gridStart[i + 1] = (gridStart[i] as number) + (counts[i] as number);
  const fill = gridStart.slice(0, nx * ny);
  const gridItems = new Int32Array(gridStart[nx * ny] as number);
  for (let e = 0; e < n; e++) {
    const [gx0, gx1, gy0, gy1] = cellRange(edgeList[e] as number);
    for (let gy = gy0; gy <= gy1; gy++)
      for (let gx = gx0; gx <= gx1; gx++) {
        const c = gy * nx + gx;
        gridItems[fill[c] as number] = e;
        fill[c] = (fill[c] as number) + 1;
      }
  }
  return {
    zone,
    isLine,
    bufferMeters,
    bufLon,
    bufLat,
    edges: Int32Array.from(edgeList),
    x0,
    y0,
    x1,
    y1,
    nx,
    ny,
    cw,
    ch,
    gridStart,
    gridItems,
    stamp: new Int32Array(n),
    stampGen: 0,
  };
}

function clamp(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

export function prepareZone(zone: Zone, zoneIndex: number, pool: VertexPool, maxSegmentMeters: number): Part[] {
  const g = zone.geometry;
  const parts: Part[] = [];
  const addPolygon = (rings: Position[][]): void => {
    const edges: number[] = [];
    for (const ring of rings) ringEdges(pool, ring, edges);
    const part = makePart(zoneIndex, false, 0, edges, pool);
    if (part) parts.push(part);
  };
  switch (g.type) {
    case 'Polygon':
      addPolygon(g.coordinates);
      break;
    case 'MultiPolygon':
      for (const poly of g.coordinates) addPolygon(poly);
      break;
    case 'LineString':
    case 'MultiLineString': {
      const buffer = zone.bufferMeters ?? 0;
      if (!(buffer >= 0)) throw new Error(`zone ${zone.id}: a line zone needs bufferMeters ≥ 0`);
      const lines = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
      const edges: number[] = [];
      for (const line of lines) lineEdges(pool, line, maxSegmentMeters, edges);
      const part = makePart(zoneIndex, true, buffer, edges, pool);
      if (part) parts.push(part);
      break;
    }
  }
  return parts;
}

/**
 * Edges of the part intersecting the rectangle (expanded by the buffer for lines), as sorted
 * first-vertex indices.
 */
export function edgesInRect(part: Part, v: Float64Array, rx0: number, ry0: number, rx1: number, ry1: number): number[] {
  if (part.isLine) {
    rx0 -= part.bufLon;
    rx1 += part.bufLon;
    ry0 -= part.bufLat;
    ry1 += part.bufLat;
  }
  if (rx1 < part.x0 || rx0 > part.x1 || ry1 < part.y0 || ry0 > part.y1) return [];
  const gx0 = clamp(Math.floor((rx0 - part.x0) / part.cw), part.nx);
  const gx1 = clamp(Math.floor((rx1 - part.x0) / part.cw), part.nx);
  const gy0 = clamp(Math.floor((ry0 - part.y0) / part.ch), part.ny);
  const gy1 = clamp(Math.floor((ry1 - part.y0) / part.ch), part.ny);
  const gen = ++part.stampGen;
  const out: number[] = [];
  for (let gy = gy0; gy <= gy1; gy++) {
    for (let gx = gx0; gx <= gx1; gx++) {
      const c = gy * part.nx + gx;
      const end = part.gridStart[c + 1] as number;
      for (let i = part.gridStart[c] as number; i < end; i++) {
        const e = part.gridItems[i] as number;
        if (part.stamp[e] === gen) continue;
        part.stamp[e] = gen;
        const k = part.edges[e] as number;
        if (
          segmentIntersectsRect(
            v[2 * k] as number,
            v[2 * k + 1] as number,
            v[2 * k + 2] as number,
            v[2 * k + 3] as number,
            rx0,
            ry0,
            rx1,
            ry1,
          )
        ) {
          out.push(k);
        }
      }
    }
  }
  out.sort((a, b) => a - b);
  return out;
}

/** Even–odd point-in-polygon for a polygon part: 1 inside, 0 outside, -1 on an edge. Exact. */
export function pointInPart(part: Part, v: Float64Array, px: number, py: number): number {
  if (px < part.x0 || px > part.x1 || py < part.y0 || py > part.y1) return 0;
  const gy = clamp(Math.floor((py - part.y0) / part.ch), part.ny);
  const gx0 = clamp(Math.floor((px - part.x0) / part.cw), part.nx);
  const gen = ++part.stampGen;
  let inside = 0;
  for (let gx = gx0; gx < part.nx; gx++) {
    const c = gy * part.nx + gx;
    const end = part.gridStart[c + 1] as number;
    for (let i = part.gridStart[c] as number; i < end; i++) {
      const e = part.gridItems[i] as number;
      if (part.stamp[e] === gen) continue;
      part.stamp[e] = gen;
      const k = part.edges[e] as number;
      const ax = v[2 * k] as number;
      const ay = v[2 * k + 1] as number;
      const bx = v[2 * k + 2] as number;
      const by = v[2 * k + 3] as number;
      if (Math.max(ax, bx) < px || Math.min(ay, by) > py || Math.max(ay, by) < py) continue;
      const o = orient(ax, ay, bx, by, px, py);
      if (o === 0 && px >= Math.min(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by)) return -1;
      if (ay > py !== by > py) {
        // Upward edge crosses the eastward ray iff p is left of it; downward iff right.
        if (by > ay ? o > 0 : o < 0) inside ^= 1;
      }
    }
  }
  return inside;
}
