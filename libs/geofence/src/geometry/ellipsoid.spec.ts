import { Geodesic } from 'geographiclib-geodesic';
import { pointSegmentDistance, pointSegmentDistanceFar } from './ellipsoid';

const geod = Geodesic.WGS84;

function geodesicDistance(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return geod.Inverse(lat1, lon1, lat2, lon2).s12 as number;
}

/** Independent reference: minimise the geodesic distance along the lon/lat-straight segment. */
function referenceDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const f = (t: number): number => geodesicDistance(py, px, ay + (by - ay) * t, ax + (bx - ax) * t);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 50; i++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (f(m1) < f(m2)) hi = m2;
    else lo = m1;
  }
  return Math.min(f((lo + hi) / 2), f(0), f(1));
}

describe('pointSegmentDistance', () => {
  it('matches geographiclib on WGS84 to 0.1 m for river-sized segments and buffers in Peru', () => {
    let worst = 0;
    for (let i = 0; i < 600; i++) {
      const ay = -18 + Math.random() * 18;
      const ax = -81 + Math.random() * 12;
      const len = Math.random() * 0.009; // up to ~1 km (segments are densified to 1 km)
      const dir = Math.random() * 2 * Math.PI;
      const bx = ax + len * Math.cos(dir);
      const by = ay + len * Math.sin(dir);
      const off = Math.random() * 0.015; // up to ~1.6 km away
      const dir2 = Math.random() * 2 * Math.PI;
      const t = Math.random();
      const px = ax + (bx - ax) * t + off * Math.cos(dir2);
      const py = ay + (by - ay) * t + off * Math.sin(dir2);
      const err = Math.abs(pointSegmentDistance(px, py, ax, ay, bx, by) - referenceDistance(px, py, ax, ay, bx, by));
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThan(0.1);
  });

  it('keeps the mid-latitude formula within 0.1 m of geographiclib up to ~50 km away', () => {
    let worst = 0;
    for (let i = 0; i < 300; i++) {
      const ay = -18 + Math.random() * 18;
      const ax = -81 + Math.random() * 12;
      const len = Math.random() * 0.009;
      const dir = Math.random() * 2 * Math.PI;
      const bx = ax + len * Math.cos(dir);
      const by = ay + len * Math.sin(dir);
      const off = Math.random() * 0.45;
      const dir2 = Math.random() * 2 * Math.PI;
      const px = ax + off * Math.cos(dir2);
      const py = ay + off * Math.sin(dir2);
      worst = Math.max(worst, Math.abs(pointSegmentDistanceFar(px, py, ax, ay, bx, by) - referenceDistance(px, py, ax, ay, bx, by)));
    }
    expect(worst).toBeLessThan(0.1);
  });

  it('differs from a spherical great-circle distance north–south, as an ellipsoidal distance should', () => {
    // 1 km due north at 12°S: the sphere (R = 6371 km) is ~0.5% off.
    const d = pointSegmentDistance(-70, -12 + 0.009, -70, -12, -70.0001, -12);
    const ref = geodesicDistance(-12 + 0.009, -70, -12, -70);
    const sphere = (0.009 * Math.PI * 6371008.8) / 180;
    expect(Math.abs(d - ref)).toBeLessThan(0.01);
    expect(Math.abs(sphere - ref)).toBeGreaterThan(3);
  });
});
