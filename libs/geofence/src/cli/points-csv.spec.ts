import fc from 'fast-check';
import { buildIndex } from '../index/load';
import { runCheck, zonesFromFeatureCollection } from './check';
import { InputError, readPointsCsv, writeCheckOutput } from './points-csv';

const square = (id: string, x0: number, size: number) => ({
  type: 'Feature',
  id,
  properties: {},
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [x0, 0],
        [x0 + size, 0],
        [x0 + size, size],
        [x0, size],
        [x0, 0],
      ],
    ],
  },
});

const index = buildIndex(
  zonesFromFeatureCollection({
    type: 'FeatureCollection',
    features: [
      square('z-b', 0, 1),
      square('z-a', 0.5, 1),
      square('z-"q"', 0.25, 0.1),
      square('z-b', 0.9, 0.5),
    ],
  }),
);

function output(csv: string, chunkBytes?: number): string {
  const chunks: Buffer[] = [];
  writeCheckOutput(
    index,
    readPointsCsv(Buffer.from(csv, 'utf8')),
    (c) => chunks.push(Buffer.from(c)),
    chunkBytes,
  );
  return Buffer.concat(chunks).toString('utf8');
}

function expected(csv: string): string {
  const lines: string[] = [];
  const table = readPointsCsv(Buffer.from(csv, 'utf8'));
  const points = Array.from({ length: table.count }, (_, k) => ({
    id: table.id(k),
    lon: table.lon[k] as number,
    lat: table.lat[k] as number,
    line: table.lines[k] as number,
  }));
  runCheck(index, points, { write: (l) => lines.push(l) });
  return lines.map((l) => `${l}\n`).join('');
}

/** Plain when it can be, quoted otherwise, so that both ways of reading a line are exercised. */
const csvField = (s: string): string =>
  /^[\x21-\x7e]+$/.test(s) && !/[",]/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;

describe(readPointsCsv.name, () => {
  it('reads plain, padded, quoted and non-ASCII lines, CRLF and a byte order mark', () => {
    const table = readPointsCsv(
      Buffer.from(
        '\uFEFFid,lon,lat\r\np1,0.5,0.5\r\n  p2 , 1e-1 ,.5\n"p,3",+0.5,-0.\nñandú,1,2\n\n   \np\\5,3,4',
        'utf8',
      ),
    );
    expect(
      Array.from({ length: table.count }, (_, k) => [
        table.id(k),
        table.lon[k],
        table.lat[k],
        table.lines[k],
      ]),
    ).toEqual([
      ['p1', 0.5, 0.5, 2],
      ['p2', 0.1, 0.5, 3],
      ['p,3', 0.5, -0, 4],
      ['ñandú', 1, 2, 5],
      ['p\\5', 3, 4, 8],
    ]);
  });

  it.each([
    ['id,lon,lat\np1,1,2,3\n', 'line 2: expected 3 fields (id,lon,lat), got "p1,1,2,3"'],
    ['id,lon,lat\np1,1,2\np2,1e,2\n', 'line 3: lon/lat must be decimal numbers, got lon="1e" lat="2"'],
    ['id,lon,lat\np1,0x10,2\n', 'line 2: lon/lat must be decimal numbers'],
    ['id,lon,lat\np1,Infinity,2\n', 'line 2: lon/lat must be decimal numbers'],
    ['id,lon,lat\np1,1,-90.5\n', 'line 2: coordinates out of range (lon 1, lat -90.5)'],
    ['id,lon,lat\n,1,2\n', 'line 2: empty id'],
    ['id,lon,lat\n"p1,1,2\n', 'line 2: expected 3 fields'],
  ])('rejects %j naming the line', (csv, message) => {
    expect(() => readPointsCsv(Buffer.from(csv))).toThrow(InputError);
    expect(() => readPointsCsv(Buffer.from(csv))).toThrow(message);
  });
});

describe(writeCheckOutput.name, () => {
  it('writes one NDJSON line per point with sorted unique zone ids, ids escaped as JSON', () => {
    expect(output('id,lon,lat\np1,0.95,0.2\n"a ""b""",0.3,0.05\nx\\y,5,5\n')).toBe(
      '{"id":"p1","zones":["z-a","z-b"]}\n{"id":"a \\"b\\"","zones":["z-\\"q\\"","z-b"]}\n{"id":"x\\\\y","zones":[]}\n',
    );
  });

  it('writes what the line-by-line formatter writes, whatever the ids and chunk size', () => {
    const id = fc
      .string({ minLength: 1, maxLength: 12, unit: 'binary' })
      .filter((s) => s.trim() !== '' && !/[\r\n]/.test(s));
    const point = fc.tuple(
      id,
      fc.double({ min: -0.5, max: 2, noNaN: true }),
      fc.double({ min: -0.5, max: 2, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.array(point, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 200 }),
        (points, chunk) => {
          const csv = `id,lon,lat\n${points.map(([i, x, y]) => `${csvField(i)},${x},${y}`).join('\n')}\n`;
          expect(output(csv, chunk)).toBe(expected(csv));
        },
      ),
    );
  });
});
