import type { Zone } from '../model';
import type { GeofenceIndex } from '../index/geofence-index';

export class InputError extends Error {}

/** Fields of one CSV line: unquoted fields trimmed, quoted ones with `""` unescaped; null if malformed. */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += line[i];
        i++;
      }
      out.push(s);
      if (i === line.length) return out;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const j = line.indexOf(',', i);
      if (j < 0) {
        out.push(line.slice(i).trim());
        return out;
      }
      out.push(line.slice(i, j).trim());
      i = j + 1;
    }
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const COMMA = 44;
const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const RETURN = 13;

/** `NUMBER` on bytes: sign, digits with an optional fraction (or a fraction alone), optional exponent. */
function isDecimalAt(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  let c = i < end ? (b[i] as number) : -1;
  if (c === 43 || c === 45) c = ++i < end ? (b[i] as number) : -1;
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = ++i < end ? (b[i] as number) : -1;
  }
  if (c === 46) {
    c = ++i < end ? (b[i] as number) : -1;
    while (c >= 48 && c <= 57) {
      digits++;
      c = ++i < end ? (b[i] as number) : -1;
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = ++i < end ? (b[i] as number) : -1;
    if (c === 43 || c === 45) c = ++i < end ? (b[i] as number) : -1;
    let exponent = 0;
    while (c >= 48 && c <= 57) {
      exponent++;
      c = ++i < end ? (b[i] as number) : -1;
    }
    if (exponent === 0) return false;
  }
  return i === end;
}

/**
 * The points of a CSV file as columns. A row's id is either a range of the source bytes (plain ASCII needing no
 * JSON escaping, written out as is) or, for the other rows, a string.
 */
export class PointTable {
  count = 0;
  lon: Float64Array;
  lat: Float64Array;
  /** 1-based line number in the CSV file of each row. */
  lines: Int32Array;
  private idStart: Int32Array;
  private idEnd: Int32Array;
  private readonly idText = new Map<number, string>();

  constructor(
    readonly source: Buffer,
    capacity: number,
  ) {
    this.lon = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.lines = new Int32Array(capacity);
    this.idStart = new Int32Array(capacity);
    this.idEnd = new Int32Array(capacity);
  }

  /** Row k's id as a string. */
  id(k: number): string {
    return this.idText.get(k) ?? this.source.toString('latin1', this.idStart[k], this.idEnd[k]);
  }

  /** Whether row k's id is the source bytes `idRange(k)`, written in JSON between quotes as they are. */
  plainId(k: number): boolean {
    return !this.idText.has(k);
  }

  idRange(k: number): [number, number] {
    return [this.idStart[k] as number, this.idEnd[k] as number];
  }

  /** @internal */
  add(line: number, lon: number, lat: number, idStart: number, idEnd: number, idText?: string): void {
    const k = this.count++;
    this.lon[k] = lon;
    this.lat[k] = lat;
    this.lines[k] = line;
    this.idStart[k] = idStart;
    this.idEnd[k] = idEnd;
    if (idText !== undefined) this.idText.set(k, idText);
  }

  /** @internal */
  trim(): void {
    this.lon = this.lon.subarray(0, this.count);
    this.lat = this.lat.subarray(0, this.count);
    this.lines = this.lines.subarray(0, this.count);
    this.idStart = this.idStart.subarray(0, this.count);
    this.idEnd = this.idEnd.subarray(0, this.count);
  }
}

interface Columns {
  header: string[];
  id: number;
  lon: number;
  lat: number;
}

/** A data line through the general path: the line's id, lon and lat, or an `InputError` naming the line. */
function parseLineText(
  raw: string,
  line: number,
  cols: Columns,
): { id: string; lon: number; lat: number } | null {
  if (raw.trim() === '') return null;
  const fields = splitCsvLine(raw);
  if (!fields || fields.length !== cols.header.length) {
    throw new InputError(
      `line ${line}: expected ${cols.header.length} fields (${cols.header.join(',')}), got "${raw.slice(0, 80)}"`,
    );
  }
  const id = fields[cols.id] as string;
  const lonS = fields[cols.lon] as string;
  const latS = fields[cols.lat] as string;
  if (id === '') throw new InputError(`line ${line}: empty id`);
  if (!NUMBER.test(lonS) || !NUMBER.test(latS)) {
    throw new InputError(`line ${line}: lon/lat must be decimal numbers, got lon="${lonS}" lat="${latS}"`);
  }
  const lon = Number(lonS);
  const lat = Number(latS);
  if (!(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90)) {
    throw new InputError(`line ${line}: coordinates out of range (lon ${lonS}, lat ${latS})`);
  }
  return { id, lon, lat };
}

/**
 * Read a points CSV (UTF-8, header naming `id`, `lon` and `lat` columns in any order; lines end with LF or CRLF).
 * Lines of plain ASCII without quotes or spaces are read straight from the bytes; any other line, and any line
 * in error, goes through the general path, which gives the error naming the line.
 */
export function readPointsCsv(source: Buffer): PointTable {
  const b = source;
  const n = b.length;
  const bom = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let nl = b.indexOf(NEWLINE, bom);
  const headerEnd = nl < 0 ? n : nl > bom && b[nl - 1] === RETURN ? nl - 1 : nl;
  const headerLine = b.toString('utf8', bom, headerEnd);
  const header = splitCsvLine(headerLine.trim())?.map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header?.indexOf(name) ?? -1;
  const cols: Columns = { header: header ?? [], id: col('id'), lon: col('lon'), lat: col('lat') };
  if (!header || cols.id < 0 || cols.lon < 0 || cols.lat < 0) {
    throw new InputError(
      `line 1: expected a header with columns id,lon,lat, got "${headerLine.slice(0, 80)}"`,
    );
  }
  const width = header.length;
  let capacity = 1;
  if (nl >= 0) for (let k = b.indexOf(NEWLINE, nl + 1); k >= 0; k = b.indexOf(NEWLINE, k + 1)) capacity++;
  const table = new PointTable(source, capacity);
  const fieldStart = new Int32Array(width + 1);
  let line = 1;
  let start = nl + 1;
  while (nl >= 0) {
    line++;
    nl = b.indexOf(NEWLINE, start);
    const end = nl < 0 ? n : nl > start && b[nl - 1] === RETURN ? nl - 1 : nl;
    const lineStart = start;
    start = nl + 1;
    if (end === lineStart) continue;
    // Fast path: fields of plain ASCII (no quotes, spaces or controls), separated by commas.
    let plain = true;
    let fields = 1;
    fieldStart[0] = lineStart;
    for (let i = lineStart; i < end; i++) {
      const c = b[i] as number;
      if (c === COMMA) {
        if (fields === width) {
          plain = false;
          break;
        }
        fieldStart[fields++] = i + 1;
      } else if (c <= 32 || c >= 127 || c === QUOTE) {
        plain = false;
        break;
      }
    }
    if (plain && fields === width) {
      fieldStart[width] = end + 1;
      const idStart = fieldStart[cols.id] as number;
      const idEnd = (fieldStart[cols.id + 1] as number) - 1;
      const lonStart = fieldStart[cols.lon] as number;
      const lonEnd = (fieldStart[cols.lon + 1] as number) - 1;
      const latStart = fieldStart[cols.lat] as number;
      const latEnd = (fieldStart[cols.lat + 1] as number) - 1;
      if (idEnd > idStart && isDecimalAt(b, lonStart, lonEnd) && isDecimalAt(b, latStart, latEnd)) {
        const lon = Number(b.toString('latin1', lonStart, lonEnd));
        const lat = Number(b.toString('latin1', latStart, latEnd));
        if (lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) {
          let escaped = false;
          for (let i = idStart; i < idEnd && !escaped; i++) escaped = b[i] === BACKSLASH;
          table.add(
            line,
            lon,
            lat,
            idStart,
            idEnd,
            escaped ? b.toString('latin1', idStart, idEnd) : undefined,
          );
          continue;
        }
      }
    }
    const parsed = parseLineText(b.toString('utf8', lineStart, end), line, cols);
    if (parsed) table.add(line, parsed.lon, parsed.lat, 0, 0, parsed.id);
  }
  table.trim();
  return table;
}

/** A string as a JSON string literal; most ids need no escaping and skip `JSON.stringify`. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === QUOTE || c === BACKSLASH || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * The zone list of an output line for a result of `zonesAt`: ids sorted, each once. The index hands out the same
 * array for every position of a fully covered cell, so those are formatted once.
 */
class ZoneListFormatter {
  private readonly rank = new Map<Zone, number>();
  private readonly quoted: string[];
  private readonly single: Buffer[];
  private readonly shared = new WeakMap<readonly Zone[], Buffer>();
  private readonly ranks: number[] = [];
  static readonly EMPTY = Buffer.from('[]');

  constructor(zones: readonly Zone[]) {
    const ids = [...new Set(zones.map((z) => z.id))].sort();
    const rankOfId = new Map(ids.map((id, k) => [id, k]));
    this.quoted = ids.map(jsonString);
    this.single = this.quoted.map((q) => Buffer.from(`[${q}]`));
    for (const zone of zones) this.rank.set(zone, rankOfId.get(zone.id) as number);
  }

  text(hits: readonly Zone[]): string {
    const ranks = this.ranks;
    ranks.length = 0;
    for (const zone of hits) ranks.push(this.rank.get(zone) as number);
    ranks.sort((a, b) => a - b);
    let text = `[${this.quoted[ranks[0] as number] as string}`;
    for (let k = 1; k < ranks.length; k++) {
      if (ranks[k] !== ranks[k - 1]) text += `,${this.quoted[ranks[k] as number] as string}`;
    }
    return `${text}]`;
  }

  bytes(hits: readonly Zone[]): Buffer {
    if (hits.length === 0) return ZoneListFormatter.EMPTY;
    if (hits.length === 1) return this.single[this.rank.get(hits[0] as Zone) as number] as Buffer;
    let bytes = this.shared.get(hits);
    if (bytes === undefined) {
      bytes = Buffer.from(this.text(hits));
      this.shared.set(hits, bytes);
    }
    return bytes;
  }
}

const ID_OPEN = Buffer.from('{"id":');
const ZONES_OPEN = Buffer.from(',"zones":');
const LINE_CLOSE = Buffer.from('}\n');

/**
 * `check`'s output for the points of a table: one NDJSON line `{"id":"..","zones":[..]}` per point, zone ids
 * sorted and unique, handed to `write` in chunks of about `chunkBytes` bytes that end with a newline.
 */
export function writeCheckOutput(
  index: GeofenceIndex,
  points: PointTable,
  write: (chunk: Buffer) => void,
  chunkBytes = 1 << 20,
): void {
  const zones = new ZoneListFormatter(index.zones);
  const src = points.source;
  const { lon, lat } = points;
  let out = Buffer.allocUnsafe(chunkBytes + 4096);
  let pos = 0;
  const put = (bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; i++) out[pos++] = bytes[i] as number;
  };
  for (let k = 0; k < points.count; k++) {
    const hits = index.zonesAt(lat[k] as number, lon[k] as number);
    const list = zones.bytes(hits);
    let idJson: string | undefined;
    let idStart = 0;
    let idEnd = 0;
    if (points.plainId(k)) [idStart, idEnd] = points.idRange(k);
    else idJson = jsonString(points.id(k));
    const need = 32 + list.length + (idJson === undefined ? idEnd - idStart : 3 * idJson.length);
    if (pos + need > out.length) {
      if (pos > 0) write(out.subarray(0, pos));
      out = Buffer.allocUnsafe(Math.max(chunkBytes + 4096, need));
      pos = 0;
    }
    put(ID_OPEN);
    if (idJson === undefined) {
      out[pos++] = QUOTE;
      for (let i = idStart; i < idEnd; i++) out[pos++] = src[i] as number;
      out[pos++] = QUOTE;
    } else pos += out.write(idJson, pos);
    put(ZONES_OPEN);
    put(list);
    put(LINE_CLOSE);
    if (pos >= chunkBytes) {
      write(out.subarray(0, pos));
      out = Buffer.allocUnsafe(chunkBytes + 4096);
      pos = 0;
    }
  }
  if (pos > 0) write(out.subarray(0, pos));
}

/** One output line (without newline) per point, for callers holding points one by one. */
export function formatCheckLines(
  index: GeofenceIndex,
  points: Iterable<{ id: string; lon: number; lat: number }>,
  write: (line: string) => void,
): void {
  const zones = new ZoneListFormatter(index.zones);
  for (const p of points) {
    const hits = index.zonesAt(p.lat, p.lon);
    const list = hits.length === 0 ? '[]' : zones.text(hits);
    write(`{"id":${jsonString(p.id)},"zones":${list}}`);
  }
}
