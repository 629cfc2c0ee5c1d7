import { buildIndex } from '../index/load';
import { catalogueToFeatureCollection, InputError, parsePointsCsv, runCheck, zonesFromFeatureCollection } from './check';

const zonesFile = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      id: 'b',
      properties: {},
      geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] },
    },
    {
      type: 'Feature',
      properties: { id: 7 },
      geometry: { type: 'Polygon', coordinates: [[[0.5, 0.5], [2, 0.5], [2, 2], [0.5, 2], [0.5, 0.5]]] },
    },
    {
      type: 'Feature',
      id: 'a-river',
      properties: { buffer_m: 100 },
      geometry: { type: 'LineString', coordinates: [[-1, 0.5], [3, 0.5]] },
    },
  ],
};

describe(parsePointsCsv.name, () => {
  it('reads id, lon, lat in any column order, quoted ids included', () => {
    expect(parsePointsCsv('lat,id,lon\n-12.5,"a,1",-70.1\r\n\n')).toEqual([{ id: 'a,1', lon: -70.1, lat: -12.5, line: 2 }]);
  });

  it.each([
    ['lon,lat\n1,2\n', 'line 1: expected a header'],
    ['id,lon,lat\n1,2\n', 'line 2: expected 3 fields'],
    ['id,lon,lat\n1,2,3\n2,x,3\n', 'line 3: lon/lat must be decimal numbers'],
    ['id,lon,lat\n1,200,3\n', 'line 2: coordinates out of range'],
    ['id,lon,lat\n,1,3\n', 'line 2: empty id'],
  ])('rejects %j with a message naming the line', (csv, message) => {
    expect(() => parsePointsCsv(csv)).toThrow(InputError);
    expect(() => parsePointsCsv(csv)).toThrow(message);
  });
});

describe(zonesFromFeatureCollection.name, () => {
  it('takes the feature id, else properties.id, and the buffer of line features', () => {
    const { zones } = zonesFromFeatureCollection(zonesFile);
    expect(zones.map((z) => [z.id, z.bufferMeters])).toEqual([
      ['b', undefined],
      ['7', undefined],
      ['a-river', 100],
    ]);
  });

  it.each([
    [{ type: 'Point', coordinates: [0, 0] }, {}, 'feature 1 (features[0]) id "x": unsupported geometry type Point'],
    [null, {}, 'feature 1 (features[0]) id "x": feature has no geometry'],
    [{ type: 'LineString', coordinates: [[0, 0], [1, 1]] }, {}, 'line feature needs a numeric properties.buffer_m'],
    [{ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 'a'], [0, 0]]] }, {}, 'invalid position'],
  ])('rejects %j with the feature number', (geometry, properties, message) => {
    const input = { type: 'FeatureCollection', features: [{ type: 'Feature', id: 'x', properties, geometry }] };
    expect(() => zonesFromFeatureCollection(input)).toThrow(message);
  });
});

describe(runCheck.name, () => {
  it('writes one line per point with sorted zone ids, boundary included', () => {
    const index = buildIndex(zonesFromFeatureCollection(zonesFile));
    const out: string[] = [];
    const points = parsePointsCsv('id,lon,lat\n1,0.5,0.5\n2,0,0\n3,1.5,1.5\n4,-0.5,0.5009\n5,10,10\n');
    runCheck(index, points, { write: (l) => out.push(l) });
    expect(out).toEqual([
      '{"id":"1","zones":["7","a-river","b"]}',
      '{"id":"2","zones":["b"]}',
      '{"id":"3","zones":["7"]}',
      '{"id":"4","zones":["a-river"]}',
      '{"id":"5","zones":[]}',
    ]);
  });
});

describe(catalogueToFeatureCollection.name, () => {
  it('round-trips through the zones file reader with ids, geometry and buffers', () => {
    const catalogue = zonesFromFeatureCollection(zonesFile);
    const back = zonesFromFeatureCollection(catalogueToFeatureCollection(catalogue));
    expect(back.zones.map((z) => [z.id, z.geometry, z.bufferMeters])).toEqual(catalogue.zones.map((z) => [z.id, z.geometry, z.bufferMeters]));
  });
});
