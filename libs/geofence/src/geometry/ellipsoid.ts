/** WGS84 ellipsoid helpers for short distances (a few kilometres). */
export const WGS84_A = 6378137;
export const WGS84_F = 1 / 298.257223563;
export const WGS84_E2 = WGS84_F * (2 - WGS84_F);
const DEG = Math.PI / 180;

/**
 * Metres per degree of longitude (kx) and of latitude (ky) at latitude `lat`, from the prime-vertical
 * (N) and meridian (M) radii of curvature. Within a few kilometres of `lat`, x = Δlon·kx, y = Δlat·ky
 * is a local tangent-plane projection good to centimetres.
 */
export function metresPerDegree(lat: number): { kx: number; ky: number } {
  const s = Math.sin(lat * DEG);
  const w2 = 1 - WGS84_E2 * s * s;
  const w = Math.sqrt(w2);
  const n = WGS84_A / w;
  const m = (WGS84_A * (1 - WGS84_E2)) / (w2 * w);
  return { kx: n * Math.cos(lat * DEG) * DEG, ky: m * DEG };
}

/**
 * Squared distance in metres from (px,py) to the segment a–b (lon/lat degrees), in the local
 * tangent plane at p; kx, ky from `metresPerDegree(py)`. The segment is taken as straight in lon/lat
 * (RFC 7946), densified by the index so its pieces are short.
 */
export function segmentDistanceSq(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  kx: number,
  ky: number,
): number {
  const x1 = (ax - px) * kx;
  const y1 = (ay - py) * ky;
  const dx = (bx - ax) * kx;
  const dy = (by - ay) * ky;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? -(x1 * dx + y1 * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const x = x1 + t * dx;
  const y = y1 + t * dy;
  return x * x + y * y;
}

/**
 * Distance in metres from a point to a polyline segment; curvature corrected: the local plane uses
 * the radii at the latitude of the nearest point's neighbourhood (p), which for segments under
 * ~1 km and offsets under a few kilometres keeps the error below 1 cm.
 */
export function pointSegmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const { kx, ky } = metresPerDegree(py);
  return Math.sqrt(segmentDistanceSq(px, py, ax, ay, bx, by, kx, ky));
}

/**
 * More accurate distance for offsets beyond a few kilometres: each segment end is placed around p
 * with the radii of curvature at its mid-latitude with p (mid-latitude formula), so the distances
 * from p to the ends are accurate to millimetres at tens of kilometres.
 */
export function pointSegmentDistanceFar(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const a = metresPerDegree((ay + py) / 2);
  const b = metresPerDegree((by + py) / 2);
  const x1 = (ax - px) * a.kx;
  const y1 = (ay - py) * a.ky;
  const x2 = (bx - px) * b.kx;
  const y2 = (by - py) * b.ky;
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? -(x1 * dx + y1 * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  if (t === 0) return Math.hypot(x1, y1);
  if (t === 1) return Math.hypot(x2, y2);
  // Interior foot: measure to the point of the lon/lat segment at t, with its own mid-latitude.
  const qx = ax + (bx - ax) * t;
  const qy = ay + (by - ay) * t;
  const q = metresPerDegree((qy + py) / 2);
  return Math.hypot((qx - px) * q.kx, (qy - py) * q.ky);
}
