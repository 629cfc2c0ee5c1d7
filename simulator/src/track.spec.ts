import { distanceM, pathLengthM } from './geo';
import { Random } from './random';
import { alongPath, atWork, UERE_M, withGpsNoise, standing } from './track';

describe('track generation', () => {
  const path = [
    { lat: -12.5933, lon: -69.1891 },
    { lat: -12.66, lon: -69.3 },
    { lat: -12.75, lon: -69.45 },
  ];

  it('moves along a path at the given speed and ends on its last point', () => {
    const points = alongPath(path, 60, 30, 0);
    const length = pathLengthM(path);
    expect(points.length).toBe(Math.floor(length / 500) + 2);
    points.slice(1, -1).forEach((p, i) => expect(distanceM(points[i]!, p)).toBeLessThanOrEqual(500.5));
    expect(points[points.length - 1]).toMatchObject({ ...path[2], speed: 0 });
    expect(points[1]!.timeMs).toBe(30_000);
    expect(points[1]!.heading).toBeGreaterThan(180);
  });

  it('adds noise of about HDOP × UERE metres, reproducibly for a seed', () => {
    const still = standing({ lat: -12.6, lon: -69.2 }, 2000, 1, 0);
    const noisy = withGpsNoise(still, new Random(11), 4);
    expect(withGpsNoise(still, new Random(11), 4)).toEqual(noisy);
    const errors = noisy.map((s) => distanceM(s, { lat: s.trueLat, lon: s.trueLon }));
    const rms = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length);
    expect(rms).toBeGreaterThan(4 * UERE_M * 0.9);
    expect(rms).toBeLessThan(4 * UERE_M * 1.1);
    expect(noisy[0]).toMatchObject({ hdop: 4, satellites: 6 });
  });

  it('keeps a working machine on its site', () => {
    const centre = { lat: -12.9, lon: -70.3 };
    const points = atWork(centre, 100, 500, 60, 0, new Random(5));
    expect(Math.max(...points.map((p) => distanceM(centre, p)))).toBeLessThanOrEqual(100.5);
    expect(points.every((p) => p.speed <= 4)).toBe(true);
  });
});
