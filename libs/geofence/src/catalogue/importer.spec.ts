import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { importLayer, makeCatalogue, parseLayerMapping, referenceLines, type LayerMapping } from './importer';

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

  it('produces the same ids whatever the feature order, each zone tracing its feature, and the same version for the same layer', () => {
    const features = [
      feature(square(-70, -12), { code: 'A', name: 'A' }),
      feature(square(-69, -12), { code: 'B', name: 'B' }),
      feature(square(-68, -12), { code: 'C', name: 'C' }),
    ];
    const a = makeCatalogue(importLayer(collection(features), mapping).zones);
    const b = makeCatalogue(importLayer(collection([...features].reverse()), mapping).zones);
    expect(a.zones.map((z) => z.id)).toEqual(['anp-a', 'anp-b', 'anp-c']);
    expect(b.zones.map((z) => z.id)).toEqual(['anp-a', 'anp-b', 'anp-c']);
    expect(b.zones.map((z) => z.source?.features[0]?.index)).toEqual([2, 1, 0]);
    expect(b.zones.map(({ source: _, ...zone }) => zone)).toEqual(a.zones.map(({ source: _, ...zone }) => zone));
    expect(makeCatalogue(importLayer(collection(features), mapping).zones).version).toBe(a.version);
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
    [{ ...mapping, checkNames: { description: '' } }, 'mapping.checkNames.description'],
    [{ ...mapping, checkNames: { description: 'x', correctShare: 2 } }, 'mapping.checkNames.correctShare'],
    [[], 'mapping: expected a JSON object'],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseLayerMapping(input)).toThrow(message);
  });
});

describe('zone sources and river names checked against a second source', () => {
  const rivers: LayerMapping = {
    layer: 'regional-rivers',
    kind: 'water_body',
    authority: 'ANA',
    idPrefix: 'rio-',
    idProperty: 'id',
    name: 'nombre',
    bufferMeters: 200,
    properties: { basin: 'cuenca' },
    checkNames: { description: 'la capa regional de ríos' },
  };
  const centerlines: LayerMapping = {
    layer: 'centerlines',
    kind: 'water_body',
    authority: 'ANA',
    idPrefix: 'ne-',
    idProperty: 'name',
    name: 'name',
    bufferMeters: 500,
  };
  const line = (from: number, to: number, lat = -12.005) => [
    [from, lat],
    [to, lat],
  ];
  const multi = (...lines: number[][][]): Geometry => ({ type: 'MultiLineString', coordinates: lines });
  // "Big" runs along 12° S; its regional feature has two pieces on it, "Small" has one piece on the stretch
  // between them (mislabelled) and one far from any centerline.
  const regional = collection([
    feature(multi(line(-69.9, -69.6), line(-69.2, -69.1)), { id: 'big', nombre: 'Río Big', cuenca: 'Big' }),
    feature(multi(line(-71.5, -71.3, -14), line(-69.5, -69.3, -12.003)), { id: 'small', nombre: 'Río Small', cuenca: 'Small' }),
    feature(multi(line(-69.5, -69.3, -13)), { id: 'wrong', nombre: 'Río Wrong', cuenca: 'Wrong' }),
  ]);
  const reference = importLayer(
    collection([
      feature({ type: 'LineString', coordinates: line(-70.5, -69, -12) }, { name: 'Big' }),
      feature({ type: 'LineString', coordinates: line(-70, -69, -13) }, { name: 'Other' }),
    ]),
    centerlines,
  );
  const imported = importLayer(regional, rivers, { references: referenceLines(reference.zones) });
  const zone = (id: string) => imported.zones.find((z) => z.id === id);

  it('records the layer, the features and the attribute the name was read from', () => {
    expect(reference.zones.find((z) => z.id === 'ne-big')?.source).toEqual({
      layer: 'centerlines',
      nameAttribute: 'name',
      features: [{ index: 0, id: 'Big', name: 'Big' }],
    });
    const fixed = importLayer(collection([feature(square(-70, -12), { code: 'A' })]), { ...mapping, name: { value: 'Fixed' } });
    expect(fixed.zones[0]?.source).toEqual({ layer: 'test', features: [{ index: 0, id: 'A' }] });
  });

  it('moves a piece both sources name otherwise to the zone of that name, tracing it to its feature', () => {
    expect(zone('rio-big')?.name).toBe('Río Big');
    expect(zone('rio-big')?.source?.features).toEqual([
      { index: 0, id: 'big', name: 'Río Big', nameCheck: 'confirmed' },
      { index: 1, id: 'small', name: 'Río Small', pieces: [1], nameCheck: 'corrected' },
    ]);
    const lines = zone('rio-big')?.geometry as { type: string; coordinates: number[][][] };
    expect(lines.coordinates.flat()).toContainEqual([-69.5, -12.003]);
    expect(zone('rio-small')?.source?.features).toEqual([
      { index: 1, id: 'small', name: 'Río Small', pieces: [0], nameCheck: 'unchecked' },
    ]);
    expect(imported.report.names).toContainEqual(
      expect.objectContaining({
        zoneId: 'rio-big',
        layer: 'regional-rivers',
        feature: 1,
        featureId: 'small',
        pieces: [1],
        name: 'Río Small',
        action: 'corrected',
        shownAs: 'Río Big',
        secondSource: { layer: 'centerlines', name: 'Big', zoneId: 'ne-big' },
      }),
    );
    const entry = imported.report.names.find((n) => n.feature === 1);
    expect(entry?.evidence).toMatch(/100 % of the length within 3000 m of "Big" \(centerlines\)/);
  });

  it('shows a piece contradicted by one source only as unverified, keeping the published name in its properties', () => {
    expect(zone('rio-wrong')).toBeUndefined();
    expect(zone('rio-wrong-unverified-other')).toMatchObject({
      name: 'cuerpo de agua de la capa regional de ríos, cerca del Río Other',
      properties: { basin: 'Wrong', publishedName: 'Río Wrong', nameCheck: 'unverified' },
      source: { layer: 'regional-rivers', features: [{ index: 2, id: 'wrong', name: 'Río Wrong', nameCheck: 'unverified' }] },
    });
    expect(imported.report.names).toContainEqual(
      expect.objectContaining({
        zoneId: 'rio-wrong-unverified-other',
        action: 'unverified',
        name: 'Río Wrong',
        secondSource: { layer: 'centerlines', name: 'Other', zoneId: 'ne-other' },
      }),
    );
  });

  it('checks nothing without a second source, and imports the same zones as before apart from their source', () => {
    const plain = importLayer(regional, rivers);
    expect(plain.report.names).toEqual([]);
    expect(plain.zones.map((z) => [z.id, z.name])).toEqual([
      ['rio-big', 'Río Big'],
      ['rio-small', 'Río Small'],
      ['rio-wrong', 'Río Wrong'],
    ]);
    expect(plain.zones[1]?.source?.features).toEqual([{ index: 1, id: 'small', name: 'Río Small' }]);
  });
});
