import { openDatabase } from './database';
import { sql } from 'kysely';
import { arrayLiteral } from './array-literal';

describe(arrayLiteral.name, () => {
  it('writes each kind of value, nulls and escapes as PostgreSQL array literals', () => {
    expect(arrayLiteral([1.5, null, -2e-7, 300], 'number')).toBe('{1.5,NULL,-2e-7,300}');
    expect(arrayLiteral([true, false, undefined], 'boolean')).toBe('{t,f,NULL}');
    expect(arrayLiteral([new Date('2026-11-20T10:00:00.123Z'), null], 'timestamp')).toBe(
      '{2026-11-20T10:00:00.123Z,NULL}',
    );
    expect(arrayLiteral(['plain', 'with "quotes", a \\ and {braces}', ''], 'text')).toBe(
      '{"plain","with \\"quotes\\", a \\\\ and {braces}",""}',
    );
    expect(arrayLiteral([['power_cut', 'odd"one'], []], 'text-array')).toBe(
      '{"{\\"power_cut\\",\\"odd\\\\\\"one\\"}","{}"}',
    );
    expect(arrayLiteral([], 'text')).toBe('{}');
  });

  it('reads back in PostgreSQL as the values it was given', async () => {
    const database = await openDatabase({ embeddedDataDir: 'memory://' });
    const texts = ['plain', 'with "quotes", a \\ and {braces}', 'NULL', '', ' spaced '];
    const result = await sql<{ t: string | null; n: number | null; e: string[] }>`
      select t, n, e::text[] as e
      from unnest(${arrayLiteral([...texts, null], 'text')}::text[],
                  ${arrayLiteral([1.5, -2e-7, 1e21, 0, 42, null], 'number')}::float8[],
                  ${arrayLiteral([['a', 'b"c'], [], ['x\\y'], ['{z}'], ['NULL'], []], 'text-array')}::text[])
        as r(t, n, e)`.execute(database.db);
    expect(result.rows).toEqual([
      { t: 'plain', n: 1.5, e: ['a', 'b"c'] },
      { t: 'with "quotes", a \\ and {braces}', n: -2e-7, e: [] },
      { t: 'NULL', n: 1e21, e: ['x\\y'] },
      { t: '', n: 0, e: ['{z}'] },
      { t: ' spaced ', n: 42, e: ['NULL'] },
      { t: null, n: null, e: [] },
    ]);
    await database.close();
  });
});
