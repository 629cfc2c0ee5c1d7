import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { makeCatalogue } from '../catalogue/importer';
import { zoneValidAt, type Zone } from '../model';
import { GeofenceEngine } from './load';

function squareZone(id: string, x: number): Zone {
  return {
    id,
    kind: 'protected_area',
    name: id,
    authority: 'test',
    legalBasis: 'test',
    geometry: { type: 'Polygon', coordinates: [[[x, -12], [x + 0.1, -12], [x + 0.1, -11.9], [x, -11.9], [x, -12]]] },
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

describe(zoneValidAt.name, () => {
  it('applies validity bounds inclusively and treats missing bounds as open', () => {
    expect(zoneValidAt({ validFrom: '2010-03-11' }, '2010-03-11')).toBe(true);
    expect(zoneValidAt({ validFrom: '2010-03-11' }, '2010-03-10')).toBe(false);
    expect(zoneValidAt({ validTo: '2020-01-01' }, new Date('2020-01-02T00:00:00Z'))).toBe(false);
    expect(zoneValidAt({}, '1900-01-01')).toBe(true);
  });
});
