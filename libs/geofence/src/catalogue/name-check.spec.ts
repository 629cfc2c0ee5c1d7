import type { Position } from 'geojson';
import {
  checkLineNames,
  riverKey,
  type CheckedPiece,
  type PieceVerdict,
  type ReferenceLine,
} from './name-check';

/**
 * Synthetic layers near latitude 12° S, where 0.01° of longitude is ~1.09 km and 0.01° of latitude ~1.11 km.
 * The reference "Big" runs west–east along 12° S from 70.5° W to 69° W.
 */
const big: ReferenceLine = {
  layer: 'centerlines',
  name: 'Big',
  zoneId: 'ne-big',
  lines: [
    [
      [-70.5, -12],
      [-69, -12],
    ],
  ],
};
const along = (fromLon: number, toLon: number, lat = -12.005): Position[] => [
  [fromLon, lat],
  [toLon, lat],
];
const piece = (feature: number, pieceIndex: number, name: string, coords: Position[]): CheckedPiece => ({
  feature,
  piece: pieceIndex,
  name,
  coords,
});
const status = (v: PieceVerdict | undefined) => v?.status;

describe(riverKey.name, () => {
  it('compares river names without accents, case or a leading "Río"', () => {
    expect(riverKey('Río Madre de Dios')).toBe(riverKey('Madre de Dios'));
    expect(riverKey('RIO MADRE DE DIOS')).toBe('madre-de-dios');
    expect(riverKey('Río Manu')).not.toBe(riverKey('Madre de Dios'));
  });
});

describe(checkLineNames.name, () => {
  it('confirms a piece that follows a centerline of its own name', () => {
    const [v] = checkLineNames([piece(0, 0, 'Río Big', along(-69.9, -69.6))], [big]);
    expect(v).toMatchObject({ status: 'confirmed', share: expect.closeTo(1, 6), reference: { name: 'Big' } });
  });

  it('leaves a piece unchecked where no centerline follows it (no second source)', () => {
    const [v] = checkLineNames([piece(0, 0, 'Río Lonely', along(-71, -70.8, -14))], [big]);
    expect(v).toEqual({ status: 'unchecked', lengthMeters: expect.any(Number) });
    expect(status(checkLineNames([piece(0, 0, 'Río Lonely', along(-69.9, -69.6))], [])[0])).toBe('unchecked');
  });

  it('corrects a piece of another name on the stretch where both the centerline and the layer say "Big"', () => {
    const verdicts = checkLineNames(
      [
        piece(0, 0, 'Río Big', along(-69.9, -69.6)),
        piece(0, 1, 'Río Big', along(-69.2, -69.1)),
        piece(1, 0, 'Río Small', along(-69.5, -69.3, -12.003)),
      ],
      [big],
    );
    expect(verdicts.map(status)).toEqual(['confirmed', 'confirmed', 'corrected']);
    expect(verdicts[2]).toMatchObject({
      share: expect.closeTo(1, 6),
      ownShare: 0,
      corroborated: true,
      reference: { name: 'Big' },
    });
  });

  it('does not contradict a tributary the centerline follows beyond where the layer has its own "Big"', () => {
    // Natural Earth names a river system after its main stem and may follow a tributary upstream: the regional
    // layer's "Big" ends at 69.9° W, so the centerline's name says nothing about "Trib" further west.
    const verdicts = checkLineNames(
      [piece(0, 0, 'Río Big', along(-69.9, -69.6)), piece(1, 0, 'Río Trib', along(-70.4, -70.1, -12.004))],
      [big],
    );
    expect(verdicts.map(status)).toEqual(['confirmed', 'unchecked']);
  });

  it('shows as unverified a contradiction by a centerline whose name the layer does not have (one source only)', () => {
    const [v] = checkLineNames([piece(0, 0, 'Río Wrong', along(-69.9, -69.6))], [big]);
    expect(v).toMatchObject({
      status: 'unverified',
      corroborated: false,
      share: expect.closeTo(1, 6),
      reference: { name: 'Big' },
    });
  });

  it('shows as unverified a piece that follows the other name for less than the correction share', () => {
    // 60 % of the piece lies along "Big" (followed), 40 % turns away from it.
    const verdicts = checkLineNames(
      [
        piece(0, 0, 'Río Big', along(-69.9, -69.6)),
        piece(0, 1, 'Río Big', along(-69.2, -69.1)),
        piece(1, 0, 'Río Small', [
          [-69.5, -12.003],
          [-69.44, -12.003],
          [-69.44, -12.08],
        ]),
      ],
      [big],
      { correctShare: 0.9 },
    );
    expect(status(verdicts[2])).toBe('unverified');
  });

  it('shows as unverified a piece that follows two centerlines of other names', () => {
    const twin: ReferenceLine = { layer: 'centerlines', name: 'Twin', lines: [along(-70.5, -69, -12.01)] };
    const verdicts = checkLineNames(
      [
        piece(0, 0, 'Río Big', along(-69.9, -69.6)),
        piece(0, 1, 'Río Big', along(-69.2, -69.1)),
        piece(1, 0, 'Río Twin', along(-69.9, -69.6, -12.01)),
        piece(1, 1, 'Río Twin', along(-69.2, -69.1, -12.01)),
        piece(2, 0, 'Río Small', along(-69.5, -69.3, -12.004)),
      ],
      [big, twin],
    );
    expect(status(verdicts[4])).toBe('unverified');
    expect(
      (verdicts[4] as Extract<PieceVerdict, { status: 'corrected' | 'unverified' }>).others
        .map((o) => o.name)
        .sort(),
    ).toEqual(['Big', 'Twin']);
  });

  it('extends a contradiction to a meander of the same feature that follows the centerline in part, not to a tributary', () => {
    const loop: Position[] = [
      [-69.3, -12.003],
      [-69.3, -12.06],
      [-69.27, -12.06],
      [-69.27, -12.003],
    ];
    const verdicts = checkLineNames(
      [
        piece(0, 0, 'Río Big', along(-69.9, -69.6)),
        piece(0, 1, 'Río Big', along(-69.2, -69.1)),
        piece(1, 0, 'Río Small', along(-69.5, -69.3, -12.003)),
        piece(1, 1, 'Río Small', loop),
        // A tributary meeting the corrected piece, a third of it within the corridor: a different feature.
        piece(2, 0, 'Río Side', [
          [-69.45, -12.003],
          [-69.45, -12.1],
        ]),
      ],
      [big],
    );
    expect(verdicts.map(status)).toEqual(['confirmed', 'confirmed', 'corrected', 'unverified', 'unchecked']);
    expect(verdicts[3]).toMatchObject({ continues: 2, reference: { name: 'Big' } });
  });

  it('keeps a name that a centerline of the same name follows at least as much as another', () => {
    const own: ReferenceLine = { layer: 'centerlines', name: 'Small', lines: [along(-69.5, -69.3, -12.004)] };
    const verdicts = checkLineNames(
      [
        piece(0, 0, 'Río Big', along(-69.9, -69.6)),
        piece(0, 1, 'Río Big', along(-69.2, -69.1)),
        piece(1, 0, 'Río Small', along(-69.5, -69.3, -12.003)),
      ],
      [big, own],
    );
    expect(verdicts[2]).toMatchObject({ status: 'confirmed', reference: { name: 'Small' } });
  });
});
