import type { Position } from 'geojson';
import { needsUnion, normalisePolygons } from './geometry-repair';

const sq = (x: number, y: number, s = 1): Position[] => [
  [x, y],
  [x + s, y],
  [x + s, y + s],
  [x, y + s],
  [x, y],
];

describe(needsUnion.name, () => {
  it('leaves simple polygons, holes and disjoint parts alone', () => {
    expect(needsUnion([[sq(0, 0)]])).toBe(false);
    expect(needsUnion([[sq(0, 0, 4), sq(1, 1)]])).toBe(false);
    expect(needsUnion([[sq(0, 0)], [sq(5, 5)]])).toBe(false);
    // Repeated vertices are not crossings.
    expect(needsUnion([[[[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]])).toBe(false);
  });

  it('flags crossing rings, rings touching themselves and overlapping parts', () => {
    expect(needsUnion([[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]])).toBe(true);
    expect(needsUnion([[[[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]]])).toBe(true);
    expect(needsUnion([[sq(0, 0)], [sq(0.5, 0.5)]])).toBe(true);
    expect(needsUnion([[sq(0, 0, 4), sq(3.5, 1)]])).toBe(true);
  });
});

describe(normalisePolygons.name, () => {
  it('unites overlapping parts and reports the change', () => {
    const r = normalisePolygons([[sq(-70, -12, 0.1)], [sq(-69.95, -12, 0.1)]]);
    expect(r.polygons).toHaveLength(1);
    expect(r.changes.join(' ')).toContain('2 part(s)/2 ring(s) → 1 part(s)/1 ring(s)');
  });

  it('returns valid input unchanged', () => {
    const input = [[sq(-70, -12, 0.1)]];
    expect(normalisePolygons(input)).toEqual({ polygons: input, changes: [] });
  });
});
