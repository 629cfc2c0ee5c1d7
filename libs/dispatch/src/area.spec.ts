import { boundingBox, isAreaGeometry, pointInArea } from './area';

describe('areas drawn by officers', () => {
  const square = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [-70, -13],
        [-69, -13],
        [-69, -12],
        [-70, -12],
        [-70, -13],
      ],
      [
        [-69.6, -12.6],
        [-69.4, -12.6],
        [-69.4, -12.4],
        [-69.6, -12.4],
        [-69.6, -12.6],
      ],
    ],
  };

  it('tells inside, outside and inside a hole', () => {
    expect(pointInArea(-12.8, -69.8, square)).toBe(true);
    expect(pointInArea(-12.5, -69.5, square)).toBe(false);
    expect(pointInArea(-11.5, -69.5, square)).toBe(false);
    expect(pointInArea(-12.5, -69.5, { type: 'MultiPolygon', coordinates: [[square.coordinates[1]!]] })).toBe(
      true,
    );
  });

  it('accepts only closed polygon rings of valid coordinates', () => {
    expect(isAreaGeometry(square)).toBe(true);
    expect(
      isAreaGeometry({
        type: 'Polygon',
        coordinates: [
          [
            [-70, -13],
            [-69, -13],
            [-69, -12],
          ],
        ],
      }),
    ).toBe(false);
    expect(isAreaGeometry({ type: 'Point', coordinates: [-70, -13] })).toBe(false);
    expect(
      isAreaGeometry({
        type: 'Polygon',
        coordinates: [
          [
            [-70, -93],
            [-69, -13],
            [-69, -12],
            [-70, -93],
          ],
        ],
      }),
    ).toBe(false);
  });

  it('boxes the coordinates with a margin', () => {
    expect(boundingBox(square.coordinates, 0.5)).toEqual({
      minLat: -13.5,
      maxLat: -11.5,
      minLon: -70.5,
      maxLon: -68.5,
    });
  });
});
