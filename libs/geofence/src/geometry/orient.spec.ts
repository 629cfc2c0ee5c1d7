import { onSegment, orient, orientExact, segmentIntersectsRect } from './orient';

describe('orient', () => {
  it('gives the turn direction of ordinary points', () => {
    expect(orient(0, 0, 1, 0, 0, 1)).toBe(1);
    expect(orient(0, 0, 1, 0, 0, -1)).toBe(-1);
    expect(orient(0, 0, 1, 1, 2, 2)).toBe(0);
  });

  it('decides nearly collinear points exactly where the floating-point determinant fails', () => {
    // Points on the line y = x scaled by a non-representable step: the naive determinant is noisy.
    const ax = 0.1;
    const ay = 0.1;
    const bx = 0.30000000000000004;
    const by = 0.30000000000000004;
    for (let i = 0; i < 200; i++) {
      const cx = 0.5 + i * Number.EPSILON;
      const cy = 0.5;
      expect(orient(ax, ay, bx, by, cx, cy)).toBe(orientExact(ax, ay, bx, by, cx, cy));
    }
    expect(orient(-70.1, -12.3, -70.2, -12.4, -70.15, -12.35)).toBe(orientExact(-70.1, -12.3, -70.2, -12.4, -70.15, -12.35));
  });

  it('is antisymmetric under swapping a and b', () => {
    for (let i = 0; i < 1000; i++) {
      const v = Array.from({ length: 6 }, () => -80 + Math.random() * 10);
      const [ax, ay, bx, by, cx, cy] = v as [number, number, number, number, number, number];
      expect(orient(ax, ay, bx, by, cx, cy)).toBe(-orient(bx, by, ax, ay, cx, cy) || 0);
    }
  });
});

describe('onSegment', () => {
  it('accepts end points and exact interior points, rejects the extension', () => {
    expect(onSegment(0, 0, 2, 2, 0, 0)).toBe(true);
    expect(onSegment(0, 0, 2, 2, 1, 1)).toBe(true);
    expect(onSegment(0, 0, 2, 2, 3, 3)).toBe(false);
    expect(onSegment(0, 0, 2, 2, 1, 1.0000000001)).toBe(false);
  });
});

describe('segmentIntersectsRect', () => {
  it('finds crossing, touching and inside segments and rejects disjoint ones', () => {
    expect(segmentIntersectsRect(-1, 0.5, 2, 0.5, 0, 0, 1, 1)).toBe(true);
    expect(segmentIntersectsRect(0.2, 0.2, 0.3, 0.3, 0, 0, 1, 1)).toBe(true);
    expect(segmentIntersectsRect(-1, 1, 1, -1, 0, 0, 1, 1)).toBe(true);
    expect(segmentIntersectsRect(-0.5, 0.5, 0.5, 1.5, 0, 0, 1, 1)).toBe(true);
    expect(segmentIntersectsRect(-1, 0.9, 0.05, 2, 0, 0, 1, 1)).toBe(false);
    expect(segmentIntersectsRect(2, 2, 3, 3, 0, 0, 1, 1)).toBe(false);
  });
});
