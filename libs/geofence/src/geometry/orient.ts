/**
 * Exact orientation predicate: the sign of the determinant
 * | ax-cx  ay-cy |
 * | bx-cx  by-cy |
 * i.e. > 0 when a, b, c turn counter-clockwise (c left of a→b), < 0 clockwise, 0 collinear.
 * A floating-point filter (Shewchuk's error bound A) decides almost every call; the rare
 * near-degenerate case is decided exactly with BigInt arithmetic on the binary values.
 */
const ERR_BOUND = (3 + 16 * Number.EPSILON / 2) * (Number.EPSILON / 2);

export function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const left = (ax - cx) * (by - cy);
  const right = (ay - cy) * (bx - cx);
  const det = left - right;
  const bound = ERR_BOUND * (Math.abs(left) + Math.abs(right));
  if (det > bound) return 1;
  if (-det > bound) return -1;
  return orientExact(ax, ay, bx, by, cx, cy);
}

const SCALE_SHIFT = 1100n;
const view = new DataView(new ArrayBuffer(8));

/** The double `x` times 2^1100, as an exact BigInt. */
function scaled(x: number): bigint {
  if (x === 0) return 0n;
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31;
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = exp;
  if (exp === 0) e = 1;
  else mant |= 1n << 52n;
  // value = mant * 2^(e - 1075)
  const shift = BigInt(e - 1075) + SCALE_SHIFT;
  const v = shift >= 0n ? mant << shift : mant >> -shift;
  return sign ? -v : v;
}

export function orientExact(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const acx = scaled(ax) - scaled(cx);
  const bcy = scaled(by) - scaled(cy);
  const acy = scaled(ay) - scaled(cy);
  const bcx = scaled(bx) - scaled(cx);
  const det = acx * bcy - acy * bcx;
  return det > 0n ? 1 : det < 0n ? -1 : 0;
}

/** True when p lies on the closed segment a–b (exactly). */
export function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  if (px < Math.min(ax, bx) || px > Math.max(ax, bx) || py < Math.min(ay, by) || py > Math.max(ay, by)) {
    return false;
  }
  return orient(ax, ay, bx, by, px, py) === 0;
}

/** Does the segment a–b intersect the closed rectangle? (Liang–Barsky clipping, inclusive.) */
export function segmentIntersectsRect(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): boolean {
  if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) {
    return false;
  }
  if (ax >= x0 && ax <= x1 && ay >= y0 && ay <= y1) return true;
  if (bx >= x0 && bx <= x1 && by >= y0 && by <= y1) return true;
  // Conservative: the rectangle straddles the line (corners on both sides or on it).
  const s1 = orient(ax, ay, bx, by, x0, y0);
  const s2 = orient(ax, ay, bx, by, x1, y0);
  const s3 = orient(ax, ay, bx, by, x1, y1);
  const s4 = orient(ax, ay, bx, by, x0, y1);
  const pos = (s1 > 0 ? 1 : 0) + (s2 > 0 ? 1 : 0) + (s3 > 0 ? 1 : 0) + (s4 > 0 ? 1 : 0);
  const neg = (s1 < 0 ? 1 : 0) + (s2 < 0 ? 1 : 0) + (s3 < 0 ? 1 : 0) + (s4 < 0 ? 1 : 0);
  return !(pos === 4 || neg === 4);
}
