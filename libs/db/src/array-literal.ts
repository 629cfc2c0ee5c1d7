/** How a column's values are written in a PostgreSQL array literal. */
export type LiteralKind = 'number' | 'boolean' | 'text' | 'timestamp' | 'text-array';

export type LiteralValue = string | number | boolean | Date | readonly string[] | null | undefined;

const NEEDS_ESCAPE = /["\\]/;

function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
}

function element(value: LiteralValue, kind: LiteralKind): string {
  if (value === null || value === undefined) return 'NULL';
  switch (kind) {
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : quoted(String(value));
    case 'text':
      return quoted(String(value));
    case 'text-array':
      return quoted(`{${(value as readonly string[]).map(quoted).join(',')}}`);
  }
}

/**
 * One column of a batch as the text of a PostgreSQL array (`{a,b,NULL}`), to be sent as a single parameter and
 * cast (`$1::float8[]`) for `unnest`. Written directly rather than by the driver's generic array serialiser: a
 * batch of fixes is thousands of values, and this is the hot path of ingest. A `text-array` value is itself an
 * array literal, one text element per row, cast per row on the database side (`events::text[]`).
 */
export function arrayLiteral(values: readonly LiteralValue[], kind: LiteralKind): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    text += element(values[i], kind);
  }
  return `${text}}`;
}
