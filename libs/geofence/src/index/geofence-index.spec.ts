import * as turf from '@turf/turf';
import { Geodesic } from 'geographiclib-geodesic';
import fc from 'fast-check';
import type { Polygon, Position } from 'geojson';
import { latLngToCell } from 'h3-js';
import type { Zone, ZoneGeometry } from '../model';
import { buildIndex, loadIndex } from './load';
import { deserializeIndex, serializeIndex } from './flat-index';
import { buildFlatIndex } from './build';
import { GeofenceIndex } from './geofence-index';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

function zone(id: string, geometry: ZoneGeometry, bufferMeters?: number): Zone {
  const z: Zone = { id, kind: 'protected_area', name: id, authority: 'test', legalBasis: 'test', geometry };
  if (bufferMeters !== undefined) {
    z.kind = 'water_body';
    z.bufferMeters = bufferMeters;
  }
  return z;
}

const square: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [-70, -12],
      [-69.9, -12],
      [-69.9, -11.9],
      [-70, -11.9],
      [-70, -12],
    ],
    [
      [-69.97, -11.97],
      [-69.93, -11.97],
      [-69.93, -11.93],
      [-69.97, -11.93],
      [-69.97, -11.97],
    ],
  ],
};

const bowtie: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [-71, -13],
      [-70.8, -12.8],
      [-70.8, -13],
      [-71, -12.8],
      [-71, -13],
    ],
  ],
};

const catalogue = {
  version: 'unit',
  zones: [
    zone('square-with-hole', square),
    zone('bowtie', bowtie),
    zone('overlapping-parts', {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [-72, -14],
            [-71.8, -14],
            [-71.8, -13.8],
            [-72, -13.8],
            [-72, -14],
          ],
        ],
        [
          [
            [-71.9, -13.9],
            [-71.7, -13.9],
            [-71.7, -13.7],
            [-71.9, -13.7],
            [-71.9, -13.9],
          ],
        ],
      ],
    }),
    zone(
      'river',
      {
        type: 'LineString',
        coordinates: [
          [-69.5, -12.5],
          [-69.3, -12.45],
          [-69.1, -12.6],
        ],
      },
      300,
    ),
  ],
};

describe(GeofenceIndex.name, () => {
  const sut = buildIndex(catalogue);

  it('finds a point inside a polygon and not one inside its hole', () => {
    expect(sut.zoneIdsAt(-11.99, -69.99)).toEqual(['square-with-hole']);
    expect(sut.zoneIdsAt(-11.95, -69.95)).toEqual([]);
  });

  it('includes the boundary: vertices, edges and hole edges', () => {
    expect(sut.zoneIdsAt(-12, -70)).toEqual(['square-with-hole']);
    expect(sut.zoneIdsAt(-12, -69.95)).toEqual(['square-with-hole']);
    expect(sut.zoneIdsAt(-11.95, -69.97)).toEqual(['square-with-hole']);
    expect(sut.zoneIdsAt(-11.93, -69.95)).toEqual(['square-with-hole']);
  });

  it('applies the even–odd rule to a self-intersecting ring, as turf does', () => {
    for (const [lon, lat] of [
      [-70.99, -12.9],
      [-70.9, -12.99],
      [-70.9, -12.81],
      [-70.81, -12.9],
      [-70.9, -12.9],
    ] as [number, number][]) {
      expect(sut.zoneIdsAt(lat, lon).includes('bowtie')).toBe(turf.booleanPointInPolygon([lon, lat], bowtie));
    }
  });

  it('reports a zone once where its parts overlap', () => {
    expect(sut.zoneIdsAt(-13.85, -71.85)).toEqual(['overlapping-parts']);
  });

  it('contains the points within the buffer of a river line', () => {
    // ~1 m inside and outside the 300 m buffer, due north of the first vertex's segment start.
    const ky = 110588; // metres per degree of latitude near 12.5°S
    expect(sut.zoneIdsAt(-12.5 - 299 / ky, -69.5)).toEqual(['river']);
    expect(sut.zoneIdsAt(-12.5 - 301 / ky, -69.5)).toEqual([]);
  });

  it('decides wide buffers (20 km) to 0.1 m of the WGS84 geodesic distance', () => {
    const wide = buildIndex({
      version: 'wide',
      zones: [zone('wide', { type: 'LineString', coordinates: [[-75, -5], [-74.99, -5.005]] }, 20000)],
    });
    const geod = Geodesic.WGS84;
    for (const az of [0, 15, 222, 270, 333]) {
      for (const [from, d, expected] of [
        [[-75, -5], 20000 - 0.1, true],
        [[-75, -5], 20000 + 0.1, false],
      ] as [[number, number], number, boolean][]) {
        const p = geod.Direct(from[1], from[0], az, d);
        // Azimuths pointing away from the segment (bearing ~117°): the first vertex is the nearest point.
        expect(wide.zoneIdsAt(p.lat2 as number, p.lon2 as number).length === 1).toBe(expected);
      }
    }
  });

  it('gives the same answer with the stored fine cell as without it', () => {
    for (let i = 0; i < 2000; i++) {
      const lat = -14.1 + Math.random() * 2.3;
      const lon = -72.1 + Math.random() * 3.1;
      const cell = latLngToCell(lat, lon, 12);
      expect(sut.zoneIdsAt(lat, lon, cell)).toEqual(sut.zoneIdsAt(lat, lon));
      expect(sut.zoneIdsAt(lat, lon, latLngToCell(lat, lon, 15))).toEqual(sut.zoneIdsAt(lat, lon));
    }
  });

  it('answers a batch like single positions', () => {
    const lats = [-11.99, -11.95, 40];
    const lons = [-69.99, -69.95, 2];
    expect(sut.zonesAtMany(lats, lons).map((zs) => zs.map((z) => z.id))).toEqual([['square-with-hole'], [], []]);
    const cells = [latLngToCell(-11.99, -69.99, 12), undefined, undefined];
    expect(sut.zonesAtMany(lats, lons, cells).map((zs) => zs.length)).toEqual([1, 0, 0]);
  });

  it('answers nothing far from every zone', () => {
    expect(sut.zonesAt(40, 2)).toEqual([]);
    expect(sut.zonesAt(-12, -60)).toEqual([]);
  });

  it('survives serialisation unchanged', () => {
    const flat = buildFlatIndex(catalogue.zones, catalogue.version);
    const copy = new GeofenceIndex(catalogue.zones, deserializeIndex(serializeIndex(flat)));
    for (let i = 0; i < 2000; i++) {
      const lat = -14.1 + Math.random() * 2.3;
      const lon = -72.1 + Math.random() * 3.1;
      expect(copy.zoneIdsAt(lat, lon)).toEqual(sut.zoneIdsAt(lat, lon));
    }
  });

  it('loads from the disk cache the second time, built in a worker the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geofence-'));
    try {
      const first = await loadIndex(catalogue, { cacheDir: dir });
      const second = await loadIndex(catalogue, { cacheDir: dir });
      expect(first.fromCache).toBe(false);
      expect(second.fromCache).toBe(true);
      expect(second.index.zoneIdsAt(-11.99, -69.99)).toEqual(['square-with-hole']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agrees with turf on random polygons, including their vertices and edges', () => {
    const coord = fc.tuple(fc.double({ min: -70.2, max: -69.8, noNaN: true }), fc.double({ min: -12.2, max: -11.8, noNaN: true }));
    fc.assert(
      fc.property(fc.array(coord, { minLength: 3, maxLength: 12 }), fc.array(coord, { minLength: 20, maxLength: 40 }), (ring, pts) => {
        const closed: Position[] = [...ring, ring[0] as Position];
        const poly: Polygon = { type: 'Polygon', coordinates: [closed] };
        const idx = buildIndex({ version: 'p', zones: [zone('p', poly)] });
        const probes: Position[] = [...pts, ...ring];
        for (let i = 0; i + 1 < closed.length; i++) {
          const a = closed[i] as Position;
          const b = closed[i + 1] as Position;
          probes.push([((a[0] as number) + (b[0] as number)) / 2, ((a[1] as number) + (b[1] as number)) / 2]);
        }
        for (const p of probes) {
          const mine = idx.zoneIdsAt(p[1] as number, p[0] as number).length === 1;
          expect(mine).toBe(turf.booleanPointInPolygon(p, poly));
        }
      }),
      { numRuns: 60 },
    );
  });
});
