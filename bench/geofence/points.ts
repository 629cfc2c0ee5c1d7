import { readFileSync } from 'fs';
import { join } from 'path';
import type { FeatureCollection, Position } from 'geojson';

/** Deterministic pseudo-random generator (LCG), so every run measures the same points. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Benchmark positions: half uniformly over Peru's bounding box, half within ~1 km of places where
 * machines actually work (Amazon Mining Watch detections), which is where zone boundaries, rivers
 * and the mining corridor meet.
 */
export function benchPoints(dataDir: string, n: number): { lat: Float64Array; lon: Float64Array } {
  const fc = JSON.parse(readFileSync(join(dataDir, 'mining-detections-2019-2025.geojson'), 'utf8')) as FeatureCollection;
  const anchors: Position[] = [];
  for (const f of fc.features) {
    const g = f.geometry;
    if (g.type === 'Polygon') anchors.push(...(g.coordinates[0] ?? []));
    else if (g.type === 'MultiPolygon') for (const p of g.coordinates) anchors.push(...(p[0] ?? []));
  }
  const rnd = lcg(20261122);
  const lat = new Float64Array(n);
  const lon = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      lat[i] = -18.35 + rnd() * 18.35;
      lon[i] = -81.33 + rnd() * 12.67;
    } else {
      const a = anchors[Math.floor(rnd() * anchors.length)] as Position;
      lat[i] = (a[1] as number) + (rnd() - 0.5) * 0.02;
      lon[i] = (a[0] as number) + (rnd() - 0.5) * 0.02;
    }
  }
  return { lat, lon };
}
