import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { importLayer, makeCatalogue, parseLayerMapping, type LayerMapping } from './importer';

const mapping: LayerMapping = {
  layer: 'test',
  kind: 'protected_area',
  authority: 'SERNANP',
  idPrefix: 'anp-',
  idProperty: 'code',
  name: 'name',
  legalBasis: 'law',
};

function square(x: number, y: number, s = 0.1): Geometry {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x + s, y],
        [x + s, y + s],
        [x, y + s],
        [x, y],
      ],
    ],
  };
}

function feature(geometry: Geometry | null, properties: Record<string, unknown>): Feature {
  return { type: 'Feature', geometry: geometry as Geometry, properties };
}

function collection(features: Feature[]): FeatureCollection {
  return { type: 'FeatureCollection', features };
}

describe(importLayer.name, () => {
  it('rejects a feature without geometry with a report entry, keeping the others', () => {
    const { zones, report } = importLayer(
      collection([feature(square(-70, -12), { code: 'A1', name: 'A' }), feature(null, { code: 'B1', name: 'B' })]),
      mapping,
    );
    expect(zones.map((z) => z.id)).toEqual(['anp-a1']);
    expect(report.rejected).toEqual([{ layer: 'test', feature: 1, reason: 'feature has no geometry ("B")' }]);
    expect(report.imported).toBe(1);
  });

  it('rejects unsupported geometries and invalid coordinates with the reason', () => {
    const { report } = importLayer(
      collection([
        feature({ type: 'Point', coordinates: [-70, -12] }, { code: 'P' }),
        feature(square(-70, 95), { code: 'Q' }),
      ]),
      mapping,
    );
    expect(report.rejected.map((r) => [r.feature, r.reason.split(' ').slice(0, 3).join(' ')])).toEqual([
      [0, 'unsupported geometry type'],
      [1, 'position out of'],
    ]);
  });

  it('combines the features of one area into one zone with a stable id', () => {
    const { zones, report } = importLayer(
      collection([
        feature(square(-70, -12), { code: 'RN09', name: 'Tambopata', law: 'D.S. 048-2000-AG' }),
        feature(square(-69, -12), { code: 'RN09', name: 'Tambopata', law: 'D.S. 048-2000-AG' }),
      ]),
      mapping,
    );
    expect(zones).toHaveLength(1);
    expect(zones[0]).toMatchObject({ id: 'anp-rn09', name: 'Tambopata', legalBasis: 'D.S. 048-2000-AG' });
    expect(zones[0]?.geometry.type).toBe('MultiPolygon');
    expect(report.merged).toEqual([expect.objectContaining({ zoneId: 'anp-rn09', features: [0, 1] })]);
  });

  it('merges an exact duplicate into the first zone and says so', () => {
    const { zones, report } = importLayer(
      collection([feature(square(-70, -12), { code: 'X', name: 'X' }), feature(square(-70, -12), { code: 'Y', name: 'Y' })]),
      mapping,
    );
    expect(zones.map((z) => z.id)).toEqual(['anp-x']);
    expect(report.merged[0]?.what).toContain('duplicates the geometry of zone anp-x');
  });

  it('resolves a self-intersecting ring and reports the repair', () => {
    const bowtie: Geometry = {
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
    const { zones, report } = importLayer(collection([feature(bowtie, { code: 'B', name: 'B' })]), mapping);
    expect(zones[0]?.geometry.type).toBe('MultiPolygon');
    expect(report.repaired).toEqual([expect.objectContaining({ zoneId: 'anp-b', feature: 0 })]);
  });

  it('joins river pieces that touch and bridges short gaps, reporting what is left open', () => {
    const river: LayerMapping = { ...mapping, kind: 'water_body', bufferMeters: 100, idProperty: 'name' };
    const { zones, report } = importLayer(
      collection([
        feature(
          {
            type: 'MultiLineString',
            coordinates: [
              [
                [-70, -12],
                [-69.99, -12],
              ],
              [
                [-69.99, -12],
                [-69.98, -12],
              ],
              [
                [-69.9795, -12],
                [-69.97, -12],
              ],
              [
                [-69.9, -12],
                [-69.89, -12],
              ],
            ],
          },
          { name: 'Río Test' },
        ),
      ]),
      river,
    );
    expect(zones[0]).toMatchObject({ id: 'anp-rio-test', bufferMeters: 100 });
    expect(zones[0]?.geometry.type).toBe('MultiLineString');
    expect(report.repaired[0]?.what).toMatch(/4 → 2 line\(s\) \(1 touching, 1 gap\(s\) up to 54 m bridged\)/);
  });

  it('rejects a line feature when the mapping gives no buffer', () => {
    const { report } = importLayer(
      collection([feature({ type: 'LineString', coordinates: [[-70, -12], [-69, -12]] }, { code: 'L' })]),
      mapping,
    );
    expect(report.rejected[0]?.reason).toContain('without a buffer');
  });

  it('produces the same ids and catalogue version whatever the feature order', () => {
    const features = [
      feature(square(-70, -12), { code: 'A', name: 'A' }),
      feature(square(-69, -12), { code: 'B', name: 'B' }),
      feature(square(-68, -12), { code: 'C', name: 'C' }),
    ];
    const a = makeCatalogue(importLayer(collection(features), mapping).zones);
    const b = makeCatalogue(importLayer(collection([...features].reverse()), mapping).zones);
    expect(a.zones.map((z) => z.id)).toEqual(['anp-a', 'anp-b', 'anp-c']);
    expect(b.version).toBe(a.version);
  });
});

describe(parseLayerMapping.name, () => {
  it('accepts a valid mapping', () => {
    expect(parseLayerMapping(JSON.parse(JSON.stringify(mapping)))).toEqual(mapping);
  });

  it.each([
    [{ ...mapping, kind: 'forest' }, 'mapping.kind: expected one of'],
    [{ ...mapping, name: 3 }, 'mapping.name: expected a property name'],
    [{ ...mapping, bufferMeters: -1 }, 'mapping.bufferMeters: expected a number'],
    [{ ...mapping, properties: { a: [] } }, 'mapping.properties.a'],
    [[], 'mapping: expected a JSON object'],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseLayerMapping(input)).toThrow(message);
  });
});
