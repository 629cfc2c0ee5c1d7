import type { Position } from 'geojson';
import { union } from 'polyclip-ts';
import { metresPerDegree } from '../geometry/ellipsoid';

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
