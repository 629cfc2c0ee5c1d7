import type { FeatureCollection } from 'geojson';
import { fix } from './devices';

/** A straight test river along latitude -12.85 in Madre de Dios, 200 m each side a water body (D.L. 1100). */
export const TEST_RIVER: FeatureCollection = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { nombre: 'Río de Prueba' },
      geometry: {
        type: 'LineString',
        coordinates: [
          [-69.6, -12.85],
          [-69.3, -12.85],
        ],
      },
    },
  ],
};

export const TEST_RIVER_MAPPING = {
  layer: 'test-rivers',
  kind: 'water_body',
  authority: 'ANA',
  idPrefix: 'river',
  name: 'nombre',
  legalBasis: { value: 'Decreto Legislativo N° 1100' },
  bufferMeters: 200,
};

/** Latitudes on the test river's water and clear of it. */
export const ON_RIVER = -12.8502;
export const OFF_RIVER = -12.8;

/** A fix every minute from `start`, at the given latitude, on longitude -69.55. */
export function minutes(start: string, count: number, lat: number) {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) =>
    fix(new Date(t0 + i * 60_000).toISOString(), lat, -69.55, { speed: 2 }),
  );
}
