import type { MultiPolygon, Polygon, Position } from 'geojson';

export interface BoundingBox {
  readonly minLat: number;
  readonly maxLat: number;
  readonly minLon: number;
  readonly maxLon: number;
}

export type AreaGeometry = Polygon | MultiPolygon;

/** Whether a value is a GeoJSON Polygon or MultiPolygon with closed rings of valid coordinates. */
export function isAreaGeometry(value: unknown): value is AreaGeometry {
  const candidate = value as { type?: unknown; coordinates?: unknown } | null;
  if (!candidate || typeof candidate !== 'object') return false;
  const ring = (r: unknown) =>
    Array.isArray(r) &&
    r.length >= 4 &&
    r.every(
      (p) =>
        Array.isArray(p) &&
        p.length >= 2 &&
        typeof p[0] === 'number' &&
        typeof p[1] === 'number' &&
        Math.abs(p[0]) <= 180 &&
        Math.abs(p[1]) <= 90,
    ) &&
    (r[0] as number[])[0] === (r[r.length - 1] as number[])[0] &&
    (r[0] as number[])[1] === (r[r.length - 1] as number[])[1];
  const polygon = (p: unknown) => Array.isArray(p) && p.length >= 1 && p.every(ring);
  if (candidate.type === 'Polygon') return polygon(candidate.coordinates);
  if (candidate.type === 'MultiPolygon')
    return (
      Array.isArray(candidate.coordinates) &&
      candidate.coordinates.length >= 1 &&
      candidate.coordinates.every(polygon)
    );
  return false;
}

/** Bounding box of any GeoJSON coordinates, widened by `marginDeg` on every side. */
export function boundingBox(coordinates: unknown, marginDeg = 0): BoundingBox {
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLon = Infinity;
  let maxLon = -Infinity;
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'number' && typeof value[1] === 'number') {
      minLon = Math.min(minLon, value[0]);
      maxLon = Math.max(maxLon, value[0]);
      minLat = Math.min(minLat, value[1]);
      maxLat = Math.max(maxLat, value[1]);
      return;
    }
    value.forEach(visit);
  };
  visit(coordinates);
  return {
    minLat: minLat - marginDeg,
    maxLat: maxLat + marginDeg,
    minLon: minLon - marginDeg,
    maxLon: maxLon + marginDeg,
  };
}

function inRing(lon: number, lat: number, ring: readonly Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a position lies inside a polygon (outer ring, not in a hole) or any polygon of a multipolygon. */
export function pointInArea(lat: number, lon: number, area: AreaGeometry): boolean {
  const polygons = area.type === 'Polygon' ? [area.coordinates] : area.coordinates;
  return polygons.some(
    (rings) =>
      rings.length > 0 &&
      inRing(lon, lat, rings[0]!) &&
      !rings.slice(1).some((hole) => inRing(lon, lat, hole)),
  );
}
