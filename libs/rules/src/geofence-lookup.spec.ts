import { buildIndex, makeCatalogue, type Zone } from '@app/geofence';
import { ActiveIndexLookup, GeofenceZoneLookup } from './geofence-lookup';

const square = (x0: number, y0: number, size: number): Zone['geometry'] => ({
  type: 'Polygon',
  coordinates: [
    [
      [x0, y0],
      [x0 + size, y0],
      [x0 + size, y0 + size],
      [x0, y0 + size],
      [x0, y0],
    ],
  ],
});

describe(GeofenceZoneLookup.name, () => {
  const zones: Zone[] = [
    {
      id: 'dep-17',
      kind: 'jurisdiction',
      name: 'MADRE DE DIOS',
      authority: 'INEI',
      legalBasis: 'INEI',
      geometry: square(-70, -13, 1),
      properties: { department: 'Madre de Dios' },
    },
    {
      id: 'pa-1',
      kind: 'protected_area',
      name: 'Área',
      authority: 'SERNANP',
      legalBasis: 'D.S.',
      geometry: square(-69.5, -12.5, 0.2),
    },
  ];
  const sut = new GeofenceZoneLookup(buildIndex(makeCatalogue(zones)));

  it('reports the zones at a position with the department of jurisdiction zones in upper case', () => {
    expect(
      sut
        .zonesAt(-12.4, -69.4)
        .map((z) => z.id)
        .sort(),
    ).toEqual(['dep-17', 'pa-1']);
    expect(sut.zone('dep-17')).toEqual({
      id: 'dep-17',
      kind: 'jurisdiction',
      name: 'MADRE DE DIOS',
      legalBasis: 'INEI',
      department: 'MADRE DE DIOS',
      layer: 'INEI',
    });
    expect(sut.zone('pa-1')?.department).toBeUndefined();
    expect(sut.zonesAt(-11, -60)).toEqual([]);
  });

  it('carries the catalogue version of the index', () => {
    expect(sut.catalogueVersion).toBe(makeCatalogue(zones).version);
  });
});

describe(ActiveIndexLookup.name, () => {
  it('follows the index that is active, finding nothing before one is', () => {
    const zone = (id: string): Zone => ({
      id,
      kind: 'protected_area',
      name: id,
      authority: 'SERNANP',
      legalBasis: 'D.S.',
      geometry: square(-69.5, -12.5, 0.2),
    });
    const source: { index: ReturnType<typeof buildIndex> | null } = { index: null };
    const sut = new ActiveIndexLookup(source);
    expect(sut.zonesAt(-12.4, -69.4)).toEqual([]);
    expect(sut.catalogueVersion).toBe('');

    const first = makeCatalogue([zone('pa-old')]);
    source.index = buildIndex(first);
    expect(sut.zonesAt(-12.4, -69.4).map((z) => z.id)).toEqual(['pa-old']);
    expect(sut.catalogueVersion).toBe(first.version);

    const second = makeCatalogue([zone('pa-new')]);
    source.index = buildIndex(second);
    expect(sut.zonesAt(-12.4, -69.4).map((z) => z.id)).toEqual(['pa-new']);
    expect(sut.zone('pa-old')).toBeUndefined();
    expect(sut.catalogueVersion).toBe(second.version);
  });
});
