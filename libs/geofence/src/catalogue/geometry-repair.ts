import type { Position } from 'geojson';
import { union } from 'polyclip-ts';
import { metresPerDegree } from '../geometry/ellipsoid';
import { orient } from '../geometry/orient';

type Ring = [number, number][];
type Poly = Ring[];

const R = 6378137;
const RAD = Math.PI / 180;

/** Geodesic-enough area of a ring in m² (spherical excess, as GIS packages report for GeoJSON). */
export function ringArea(ring: Position[]): number {
  let total = 0;
  const n = ring.length;
  if (n < 3) return 0;
  for (let i = 0; i < n; i++) {
    const p1 = ring[i] as Position;
    const p2 = ring[(i + 1) % n] as Position;
    const p3 = ring[(i + 2) % n] as Position;
    total += ((p3[0] as number) - (p1[0] as number)) * RAD * Math.sin((p2[1] as number) * RAD);
  }
  return Math.abs((total * R * R) / 2);
}

export function polygonsArea(polys: Position[][][]): number {
  let a = 0;
  for (const poly of polys) {
    poly.forEach((ring, i) => {
      a += i === 0 ? ringArea(ring) : -ringArea(ring);
    });
  }
  return a;
}

export interface NormalisedPolygons {
  polygons: Position[][][];
  changes: string[];
}

/**
 * Resolve self-intersecting rings and overlapping parts into a valid multipolygon (union of all
 * parts). Returns what changed, in words, for the import report.
 */
export function normalisePolygons(polys: Position[][][]): NormalisedPolygons {
  if (!needsUnion(polys)) return { polygons: polys, changes: [] };
  const input: Poly[] = polys.map((poly) => poly.map((ring) => ring.map((p) => [p[0] as number, p[1] as number] as [number, number])));
  const [first, ...rest] = input;
  if (!first) return { polygons: [], changes: [] };
  const out = union(first, ...rest) as Position[][][];
  const changes: string[] = [];
  const before = polygonsArea(polys);
  const after = polygonsArea(out);
  const ringsBefore = polys.reduce((s, p) => s + p.length, 0);
  const ringsAfter = out.reduce((s, p) => s + p.length, 0);
  if (out.length !== polys.length || ringsBefore !== ringsAfter) {
    changes.push(`rings rebuilt: ${polys.length} part(s)/${ringsBefore} ring(s) → ${out.length} part(s)/${ringsAfter} ring(s)`);
  }
  const deltaHa = (after - before) / 1e4;
  if (Math.abs(after - before) > Math.max(1, before * 1e-9)) {
    changes.push(
      `self-intersecting or overlapping rings resolved (signed ring area ${(before / 1e4).toFixed(2)} ha → ${(after / 1e4).toFixed(2)} ha, ${deltaHa >= 0 ? '+' : ''}${deltaHa.toFixed(2)} ha)`,
    );
  }
  return { polygons: out, changes };
}

export function distanceMeters(a: Position, b: Position): number {
  const { kx, ky } = metresPerDegree(((a[1] as number) + (b[1] as number)) / 2);
  return Math.hypot(((a[0] as number) - (b[0] as number)) * kx, ((a[1] as number) - (b[1] as number)) * ky);
}

export interface JoinedLines {
  lines: Position[][];
  joined: number;
  bridged: number[];
  remainingGaps: number[];
}

/**
 * Join line pieces end to end: pieces whose ends coincide are chained, and gaps up to
 * `maxGapMeters` between the nearest free ends are bridged with a straight segment.
 */
export function joinLines(pieces: Position[][], maxGapMeters: number): JoinedLines {
  const chains = pieces.filter((l) => l.length >= 2).map((l) => l.slice());
  let joined = 0;
  const bridged: number[] = [];
  for (;;) {
    let best = Infinity;
    let bi = -1;
    let bj = -1;
    let mode = 0;
    for (let i = 0; i < chains.length; i++) {
      const a = chains[i] as Position[];
      for (let j = i + 1; j < chains.length; j++) {
        const b = chains[j] as Position[];
        const cands: [number, number][] = [
          [distanceMeters(a[a.length - 1] as Position, b[0] as Position), 0], // a end → b start
          [distanceMeters(a[a.length - 1] as Position, b[b.length - 1] as Position), 1], // a end → b end
          [distanceMeters(a[0] as Position, b[b.length - 1] as Position), 2], // b end → a start
          [distanceMeters(a[0] as Position, b[0] as Position), 3], // a start ← b start
        ];
        for (const [d, m] of cands) {
          if (d < best) {
            best = d;
            bi = i;
            bj = j;
            mode = m;
          }
        }
      }
    }
    if (bi < 0 || best > maxGapMeters) break;
    const a = chains[bi] as Position[];
    const b = chains[bj] as Position[];
    let merged: Position[];
    const skip = best === 0 ? 1 : 0;
    if (mode === 0) merged = a.concat(b.slice(skip));
    else if (mode === 1) merged = a.concat(b.slice().reverse().slice(skip));
    else if (mode === 2) merged = b.concat(a.slice(skip));
    else merged = b.slice().reverse().concat(a.slice(skip));
    if (best > 0) bridged.push(best);
    else joined++;
    chains[bi] = merged;
    chains.splice(bj, 1);
  }
  // Remaining gaps: for each chain end, the distance to the nearest other chain's end.
  const remainingGaps: number[] = [];
  for (let i = 0; i < chains.length; i++) {
    const a = chains[i] as Position[];
    let best = Infinity;
    for (let j = 0; j < chains.length; j++) {
      if (i === j) continue;
      const b = chains[j] as Position[];
      for (const e of [a[0], a[a.length - 1]]) {
        for (const f of [b[0], b[b.length - 1]]) best = Math.min(best, distanceMeters(e as Position, f as Position));
      }
    }
    if (Number.isFinite(best)) remainingGaps.push(best);
  }
  return { lines: chains, joined, bridged, remainingGaps };
}

function partBox(poly: Position[][]): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of poly[0] ?? []) {
    const x = p[0] as number;
    const y = p[1] as number;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/**
 * Whether a polygon union would change anything: true if two edges of any rings cross or touch
 * (other than consecutive edges of one ring), or if two parts' bounding boxes overlap.
 */
export function needsUnion(polys: Position[][][]): boolean {
  if (polys.length > 1) {
    const boxes = polys.map(partBox).sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i] as [number, number, number, number];
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j] as [number, number, number, number];
        if (b[0] > a[2]) break;
        if (b[1] <= a[3] && b[3] >= a[1]) return true;
      }
    }
  }
  // Edges: coordinates and (ring, position in ring, ring edge count).
  const ex: number[] = [];
  const ring: number[] = [];
  const pos: number[] = [];
  const ringLen: number[] = [];
  let r = 0;
  for (const poly of polys) {
    for (const rg of poly) {
      const start = ex.length / 4;
      for (let i = 0; i + 1 < rg.length; i++) {
        const a = rg[i] as Position;
        const b = rg[i + 1] as Position;
        if (a[0] === b[0] && a[1] === b[1]) continue;
        ex.push(a[0] as number, a[1] as number, b[0] as number, b[1] as number);
        ring.push(r);
        pos.push(ex.length / 4 - 1 - start);
      }
      const count = ex.length / 4 - start;
      for (let k = 0; k < count; k++) ringLen.push(count);
      r++;
    }
  }
  const n = ex.length / 4;
  if (n === 0) return false;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, ex[4 * i] as number, ex[4 * i + 2] as number);
    x1 = Math.max(x1, ex[4 * i] as number, ex[4 * i + 2] as number);
    y0 = Math.min(y0, ex[4 * i + 1] as number, ex[4 * i + 3] as number);
    y1 = Math.max(y1, ex[4 * i + 1] as number, ex[4 * i + 3] as number);
  }
  const side = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(n))));
  const cw = Math.max(x1 - x0, 1e-12) / side;
  const ch = Math.max(y1 - y0, 1e-12) / side;
  const cellOf = (x: number, s: number, len: number): number => Math.min(side - 1, Math.max(0, Math.floor((x - s) / len)));
  const cells = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const gx0 = cellOf(Math.min(ex[4 * i] as number, ex[4 * i + 2] as number), x0, cw);
    const gx1 = cellOf(Math.max(ex[4 * i] as number, ex[4 * i + 2] as number), x0, cw);
    const gy0 = cellOf(Math.min(ex[4 * i + 1] as number, ex[4 * i + 3] as number), y0, ch);
    const gy1 = cellOf(Math.max(ex[4 * i + 1] as number, ex[4 * i + 3] as number), y0, ch);
    for (let gy = gy0; gy <= gy1; gy++) {
      for (let gx = gx0; gx <= gx1; gx++) {
        const key = gy * side + gx;
        const list = cells.get(key);
        if (list) list.push(i);
        else cells.set(key, [i]);
      }
    }
  }
  for (const list of cells.values()) {
    for (let a = 0; a < list.length; a++) {
      const i = list[a] as number;
      for (let b = a + 1; b < list.length; b++) {
        const j = list[b] as number;
        if (ring[i] === ring[j]) {
          const d = Math.abs((pos[i] as number) - (pos[j] as number));
          if (d === 1 || d === (ringLen[i] as number) - 1) continue;
        }
        if (segmentsTouch(ex, i, j)) return true;
      }
    }
  }
  return false;
}

function segmentsTouch(e: number[], i: number, j: number): boolean {
  const ax = e[4 * i] as number;
  const ay = e[4 * i + 1] as number;
  const bx = e[4 * i + 2] as number;
  const by = e[4 * i + 3] as number;
  const cx = e[4 * j] as number;
  const cy = e[4 * j + 1] as number;
  const dx = e[4 * j + 2] as number;
  const dy = e[4 * j + 3] as number;
  if (Math.max(ax, bx) < Math.min(cx, dx) || Math.max(cx, dx) < Math.min(ax, bx)) return false;
  if (Math.max(ay, by) < Math.min(cy, dy) || Math.max(cy, dy) < Math.min(ay, by)) return false;
  const o1 = orient(ax, ay, bx, by, cx, cy);
  const o2 = orient(ax, ay, bx, by, dx, dy);
  const o3 = orient(cx, cy, dx, dy, ax, ay);
  const o4 = orient(cx, cy, dx, dy, bx, by);
  if (o1 !== o2 && o3 !== o4) return true;
  // Collinear or touching cases (bounding boxes already overlap).
  return (o1 === 0 && o2 === 0) || o1 === 0 || o2 === 0 || o3 === 0 || o4 === 0
    ? touchesOnLine(ax, ay, bx, by, cx, cy, dx, dy)
    : false;
}

function within(px: number, py: number, ax: number, ay: number, bx: number, by: number): boolean {
  return px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by);
}

function touchesOnLine(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  return (
    (orient(ax, ay, bx, by, cx, cy) === 0 && within(cx, cy, ax, ay, bx, by)) ||
    (orient(ax, ay, bx, by, dx, dy) === 0 && within(dx, dy, ax, ay, bx, by)) ||
    (orient(cx, cy, dx, dy, ax, ay) === 0 && within(ax, ay, cx, cy, dx, dy)) ||
    (orient(cx, cy, dx, dy, bx, by) === 0 && within(bx, by, cx, cy, dx, dy))
  );
}
