import { latLngToCell } from 'h3-js';

/**
 * Numeric cell keys. An H3 cell index is 64 bits: mode/resolution header, a 7-bit base cell and
 * fifteen 3-bit digits (unused digits are 7). The key of a cell at resolution r is
 * `baseCell * 8^r + digits(1..r)`, a safe integer (< 2^52). The key of the resolution-r ancestor of
 * a finer cell is obtained by dropping its digits beyond r, which is exactly `cellToParent`.
 */
const TWO32 = 4294967296;
const POW8: number[] = [];
for (let i = 0; i <= 15; i++) POW8.push(8 ** i);

/** Parsed cell: resolution, base cell and the 45-bit digit field as a double (exact). */
export interface ParsedCell {
  res: number;
  base: number;
  digits: number;
}

export function parseCell(cell: string): ParsedCell {
  const n = cell.length;
  const hi = parseInt(cell.substring(0, n - 8), 16);
  const lo = parseInt(cell.substring(n - 8), 16);
  if (!(hi >= 0) || !(lo >= 0)) throw new Error(`invalid H3 cell "${cell}"`);
  const mode = (hi >>> 27) & 0xf;
  if (mode !== 1) throw new Error(`not an H3 cell index: "${cell}"`);
  return { res: (hi >>> 20) & 0xf, base: (hi >>> 13) & 0x7f, digits: (hi & 0x1fff) * TWO32 + lo };
}

/** Key of the ancestor at resolution `r` (r ≤ the cell's resolution). */
export function keyAt(p: ParsedCell, r: number): number {
  const p8 = POW8[r] as number;
  return p.base * p8 + Math.floor(p.digits / (POW8[15 - r] as number));
}

/** Key of a cell at its own resolution. */
export function cellKey(cell: string): number {
  const p = parseCell(cell);
  return keyAt(p, p.res);
}

/**
 * Fill `out[r]` with the keys of the ancestors at resolutions `minRes..maxRes` of the cell,
 * without allocating. Returns false if the string is not a cell of resolution ≥ maxRes.
 */
export function ancestorKeys(cell: string, minRes: number, maxRes: number, out: Float64Array): boolean {
  const n = cell.length;
  if (n < 15 || n > 16) return false;
  // Hex digits parsed by hand: substring + parseInt costs several times more.
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const c = cell.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else {
      const l = c | 32;
      if (l < 97 || l > 102) return false;
      d = l - 87;
    }
    if (i < n - 8) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  if (((hi >>> 27) & 0xf) !== 1 || ((hi >>> 20) & 0xf) < maxRes) return false;
  const base = (hi >>> 13) & 0x7f;
  const digits = (hi & 0x1fff) * TWO32 + lo;
  for (let r = minRes; r <= maxRes; r++) {
    out[r] = base * (POW8[r] as number) + Math.floor(digits / (POW8[15 - r] as number));
  }
  return true;
}

export function resolutionOf(cell: string): number {
  const n = cell.length;
  if (n < 15 || n > 16) return -1;
  const hi = parseInt(cell.substring(0, n - 8), 16);
  if (!(hi >= 0) || ((hi >>> 27) & 0xf) !== 1) return -1;
  return (hi >>> 20) & 0xf;
}

export { latLngToCell };
