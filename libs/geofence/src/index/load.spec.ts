import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { makeCatalogue } from '../catalogue/importer';
import { zoneValidAt, type Zone } from '../model';
import { buildFlatIndex } from './build';
import { serializeIndex, type FlatIndex } from './flat-index';
import { buildFlatIndexInThreads, GeofenceEngine, loadIndex, registerIndexBuild } from './load';

function squareZone(id: string, x: number): Zone {
  return {
    id,
    kind: 'protected_area',
    name: id,
    authority: 'test',
    legalBasis: 'test',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [x, -12],
          [x + 0.1, -12],
          [x + 0.1, -11.9],
          [x, -11.9],
          [x, -12],
        ],
      ],
    },
  };
}

describe(GeofenceEngine.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'geofence-engine-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('switches to a new catalogue version without a restart, keeping the old one until ready', async () => {
    const sut = new GeofenceEngine({ cacheDir: dir });
    expect(sut.zonesAt(-11.95, -69.95)).toEqual([]);
    const v1 = makeCatalogue([squareZone('a', -70)]);
    const v2 = makeCatalogue([squareZone('a', -70), squareZone('b', -69)]);
    await sut.activate(v1);
    expect(sut.version).toBe(v1.version);
    const swap = sut.activate(v2);
    expect(sut.version).toBe(v1.version);
    expect(sut.zonesAt(-11.95, -68.95)).toEqual([]);
    await swap;
    expect(sut.version).toBe(v2.version);
    expect(sut.zonesAt(-11.95, -68.95).map((z) => z.id)).toEqual(['b']);
    expect(await sut.activate(v2)).toBe(sut.index);
  });
});

function riverZone(id: string, x: number): Zone {
  return {
    id,
    kind: 'water_body',
    name: id,
    authority: 'test',
    legalBasis: 'test',
    bufferMeters: 300,
    geometry: {
      type: 'LineString',
      coordinates: [
        [x, -12.5],
        [x + 0.3, -12.2],
        [x + 0.1, -11.8],
      ],
    },
  };
}

const withoutBuildTime = (flat: FlatIndex) =>
  Buffer.from(serializeIndex({ ...flat, stats: { ...flat.stats, buildMs: 0 } }));

describe(buildFlatIndexInThreads.name, () => {
  it('builds the same index with its parts shared out between threads as on one thread', async () => {
    const catalogue = makeCatalogue([
      squareZone('a', -70),
      squareZone('b', -69.95),
      riverZone('r', -70.1),
      {
        ...squareZone('c', -69.5),
        geometry: {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [-69.5, -12],
                [-69, -12],
                [-69, -11.5],
                [-69.5, -12],
              ],
            ],
            [
              [
                [-68, -12],
                [-67.9, -12],
                [-67.9, -11.9],
                [-68, -12],
              ],
            ],
          ],
        },
      },
    ]);
    const one = buildFlatIndex(catalogue.zones, catalogue.version);
    const three = await buildFlatIndexInThreads(catalogue.zones, catalogue.version, {}, 3);
    expect(withoutBuildTime(three).equals(withoutBuildTime(one))).toBe(true);
  });
});

describe(registerIndexBuild.name, () => {
  it('has loadIndex take a build under way for the same version instead of building', async () => {
    const catalogue = makeCatalogue([squareZone('a', -70)]);
    const flat = buildFlatIndex(catalogue.zones, catalogue.version);
    flat.stats.buildMs = 424242;
    let finish: (built: FlatIndex) => void = () => undefined;
    registerIndexBuild(catalogue.version, {}, new Promise<FlatIndex>((done) => (finish = done)));
    const loading = loadIndex(catalogue, { cacheDir: false, worker: false });
    finish(flat);
    const { index } = await loading;
    expect(index.stats.buildMs).toBe(424242);
    expect(index.zonesAt(-11.95, -69.95).map((z) => z.id)).toEqual(['a']);
  });

  it('has loadIndex build the index itself when the build under way fails', async () => {
    const catalogue = makeCatalogue([squareZone('b', -69)]);
    registerIndexBuild(catalogue.version, {}, Promise.reject(new Error('worker lost')));
    const { index } = await loadIndex(catalogue, { cacheDir: false, worker: false });
    expect(index.zonesAt(-11.95, -68.95).map((z) => z.id)).toEqual(['b']);
  });
});

describe(zoneValidAt.name, () => {
  it('applies validity bounds inclusively and treats missing bounds as open', () => {
    expect(zoneValidAt({ validFrom: '2010-03-11' }, '2010-03-11')).toBe(true);
    expect(zoneValidAt({ validFrom: '2010-03-11' }, '2010-03-10')).toBe(false);
    expect(zoneValidAt({ validTo: '2020-01-01' }, new Date('2020-01-02T00:00:00Z'))).toBe(false);
    expect(zoneValidAt({}, '1900-01-01')).toBe(true);
  });
});
