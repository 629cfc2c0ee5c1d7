import { latLngToCell } from 'h3-js';
import type { Zone } from '../model';
import { metresPerDegree, pointSegmentDistanceFar, segmentDistanceSq } from '../geometry/ellipsoid';
import { orient } from '../geometry/orient';
import { ancestorKeys } from '../h3/cell-key';
import { ENTRY_DEEPER, REC_LINE, REC_REF_INSIDE, type FlatIndex, type IndexStats } from './flat-index';

const EMPTY: readonly Zone[] = Object.freeze([]);

/**
 * Answers "which zones contain this position" from the cell index: one `latLngToCell` per position
 * (or none when the caller passes the position's stored fine cell), a few numeric map look-ups from
 * `minRes` to `maxRes`, and an exact test against the handful of edges crossing the cell when the
 * position falls in a boundary cell.
 */
export class GeofenceIndex {
  readonly version: string;
  readonly minRes: number;
  readonly maxRes: number;
  readonly fineRes: number;
  readonly stats: IndexStats;
  /** Open-addressing hash table: slot → (key·16 + resolution) and entry index. */
  private readonly slotKey: Float64Array;
  private readonly slotEntry: Int32Array;
  private readonly shift: number;
  private readonly mask: number;
  private readonly lists: (readonly Zone[])[];
  private readonly keys = new Float64Array(16);
  private readonly path = new Int32Array(16);
  private readonly seen: Int32Array;
  private gen = 0;

  constructor(
    readonly zones: readonly Zone[],
    private readonly flat: FlatIndex,
  ) {
    if (flat.zoneCount !== zones.length) throw new Error('index and zone list do not match');
    this.version = flat.catalogueVersion;
    this.minRes = flat.params.minRes;
    this.maxRes = flat.params.maxRes;
    this.fineRes = flat.params.fineRes;
    this.stats = flat.stats;
    const n = flat.entryKey.length;
    let bits = 4;
    while (1 << bits < n * 2) bits++;
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    this.slotKey = new Float64Array(1 << bits).fill(-1);
    this.slotEntry = new Int32Array(1 << bits);
    for (let i = 0; i < n; i++) {
      const c = (flat.entryKey[i] as number) * 16 + (flat.entryRes[i] as number);
      let slot = this.slotOf(c);
      while (this.slotKey[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slotKey[slot] = c;
      this.slotEntry[slot] = i;
    }
    const listCount = flat.listStart.length - 1;
    this.lists = new Array(listCount);
    for (let l = 0; l < listCount; l++) {
      const list: Zone[] = [];
      for (let j = flat.listStart[l] as number; j < (flat.listStart[l + 1] as number); j++) {
        list.push(zones[flat.listPool[j] as number] as Zone);
      }
      this.lists[l] = Object.freeze(list);
    }
    this.seen = new Int32Array(zones.length);
  }

  private slotOf(c: number): number {
    const lo = c >>> 0;
    const hi = (c / 4294967296) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Entry index of a cell key at resolution r, or -1. */
  private find(key: number, r: number): number {
    const c = key * 16 + r;
    const slotKey = this.slotKey;
    const mask = this.mask;
    let slot = this.slotOf(c);
    for (;;) {
      const k = slotKey[slot] as number;
      if (k === c) return this.slotEntry[slot] as number;
      if (k === -1) return -1;
      slot = (slot + 1) & mask;
    }
  }

  /** The fine cell (resolution `fineRes`) to store with a position; pass it back to `zonesAt`. */
  cellOf(lat: number, lon: number): string {
    return latLngToCell(lat, lon, this.fineRes);
  }

  /**
   * Every zone containing the position (polygons include their boundary; river zones contain the
   * points within their buffer). `fineCell` is the position's stored H3 cell at a resolution
   * ≥ `maxRes` (normally `fineRes`); without it the cell is computed. The returned array must not
   * be modified; its order is the catalogue order, except that zones decided by an exact
   * boundary test come after the others.
   */
  zonesAt(lat: number, lon: number, fineCell?: string): readonly Zone[] {
    const keys = this.keys;
    if (fineCell === undefined || !ancestorKeys(fineCell, this.minRes, this.maxRes, keys)) {
      ancestorKeys(latLngToCell(lat, lon, this.fineRes), this.minRes, this.maxRes, keys);
    }
    const flat = this.flat;
    let e = -1;
    let withRecords = 0;
    for (let r = this.minRes; r <= this.maxRes; r++) {
      const i = this.find(keys[r] as number, r);
      if (i < 0) break;
      e = i;
      if ((flat.entryRecCount[i] as number) > 0) this.path[withRecords++] = i;
      if (((flat.entryFlags[i] as number) & ENTRY_DEEPER) === 0) break;
    }
    if (e < 0) return EMPTY;
    const base = this.lists[flat.entryList[e] as number] as readonly Zone[];
    if (withRecords === 0) return base;
    return this.boundaryTest(e, withRecords, base, lon, lat);
  }

  /**
   * `zonesAt` for a batch of positions; `cells[i]`, when given, is position i's stored fine cell.
   * The result arrays may be shared between positions and must not be modified.
   */
  zonesAtMany(
    lats: ArrayLike<number>,
    lons: ArrayLike<number>,
    cells?: ArrayLike<string | undefined>,
  ): (readonly Zone[])[] {
    if (lats.length !== lons.length) throw new Error('lats and lons differ in length');
    const out: (readonly Zone[])[] = new Array(lats.length);
    for (let i = 0; i < lats.length; i++) out[i] = this.zonesAt(lats[i] as number, lons[i] as number, cells?.[i]);
    return out;
  }

  /** Zone ids containing the position, sorted. */
  zoneIdsAt(lat: number, lon: number, fineCell?: string): string[] {
    return this.zonesAt(lat, lon, fineCell)
      .map((z) => z.id)
      .sort();
  }

  private boundaryTest(e: number, withRecords: number, base: readonly Zone[], px: number, py: number): readonly Zone[] {
    const flat = this.flat;
    const v = flat.vertices;
    const runs = flat.runPool;
    const gen = ++this.gen;
    const seen = this.seen;
    if (base.length > 0 && (withRecords > 1 || this.path[0] !== e)) {
      // Records of coarser cells may name zones that a finer cell already covers fully.
      const l = flat.entryList[e] as number;
      for (let j = flat.listStart[l] as number; j < (flat.listStart[l + 1] as number); j++) seen[flat.listPool[j] as number] = gen;
    }
    let out: Zone[] | null = null;
    let kx = 0;
    let ky = 0;
    for (let q = 0; q < withRecords; q++) {
      const pe = this.path[q] as number;
      const cx = flat.entryRef[2 * pe] as number;
      const cy = flat.entryRef[2 * pe + 1] as number;
      const start = flat.entryRecStart[pe] as number;
      const end = start + (flat.entryRecCount[pe] as number);
      for (let rec = start; rec < end; rec++) {
        const z = flat.recZone[rec] as number;
        if (seen[z] === gen) continue;
        const flags = flat.recFlags[rec] as number;
        const r0 = flat.recRunStart[rec] as number;
        const r1 = r0 + (flat.recRunCount[rec] as number);
        let inside: boolean;
        if (flags & REC_LINE) {
          if (kx === 0) ({ kx, ky } = metresPerDegree(py));
          inside = withinBuffer(v, runs, r0, r1, px, py, kx, ky, flat.zoneBuffer[z] as number);
        } else {
          inside = insidePolygonRuns(v, runs, r0, r1, px, py, cx, cy, (flags & REC_REF_INSIDE) !== 0);
        }
        if (inside) {
          seen[z] = gen;
          if (!out) out = base.slice();
          out.push(this.zones[z] as Zone);
        }
      }
    }
    return out ?? base;
  }
}

/**
 * Point in polygon from a reference point c of known status: the status flips at each edge that
 * properly crosses the segment c→p. Vertices lying exactly on the line through c and p are
 * treated as lying on its right (symbolic perturbation), so every crossing is counted once. All
 * orientation tests are exact; a point on an edge is inside.
 */
export function insidePolygonRuns(
  v: Float64Array,
  runs: Int32Array,
  r0: number,
  r1: number,
  px: number,
  py: number,
  cx: number,
  cy: number,
  refInside: boolean,
): boolean {
  const minX = px < cx ? px : cx;
  const maxX = px < cx ? cx : px;
  const minY = py < cy ? py : cy;
  const maxY = py < cy ? cy : py;
  let parity = false;
  for (let r = r0; r < r1; r++) {
    const first = runs[2 * r] as number;
    const last = first + (runs[2 * r + 1] as number);
    for (let k = first; k < last; k++) {
      const ax = v[2 * k] as number;
      const ay = v[2 * k + 1] as number;
      const bx = v[2 * k + 2] as number;
      const by = v[2 * k + 3] as number;
      const eMinX = ax < bx ? ax : bx;
      const eMaxX = ax < bx ? bx : ax;
      const eMinY = ay < by ? ay : by;
      const eMaxY = ay < by ? by : ay;
      if (eMaxX < minX || eMinX > maxX || eMaxY < minY || eMinY > maxY) continue;
      const oabp = orient(ax, ay, bx, by, px, py);
      if (oabp === 0) {
        if (px >= eMinX && px <= eMaxX && py >= eMinY && py <= eMaxY) return true;
        continue;
      }
      const sa = orient(cx, cy, px, py, ax, ay) > 0;
      const sb = orient(cx, cy, px, py, bx, by) > 0;
      if (sa === sb) continue;
      const oabc = orient(ax, ay, bx, by, cx, cy);
      if (oabc !== 0 && oabc !== oabp) parity = !parity;
    }
  }
  return refInside !== parity;
}

/**
 * Is the position within `buffer` metres of one of the listed segments? The local tangent plane at
 * the position decides unless the distance is within its error bound (≈ 9e-9·d² m, measured against
 * geographiclib) of the buffer; then the mid-latitude formula, accurate to centimetres at tens of
 * kilometres, decides.
 */
function withinBuffer(
  v: Float64Array,
  runs: Int32Array,
  r0: number,
  r1: number,
  px: number,
  py: number,
  kx: number,
  ky: number,
  buffer: number,
): boolean {
  const bound = 1.5e-8 * buffer * buffer + 0.01;
  const inner = buffer > bound ? (buffer - bound) * (buffer - bound) : 0;
  const outer = (buffer + bound) * (buffer + bound);
  for (let r = r0; r < r1; r++) {
    const first = runs[2 * r] as number;
    const last = first + (runs[2 * r + 1] as number);
    for (let k = first; k < last; k++) {
      const ax = v[2 * k] as number;
      const ay = v[2 * k + 1] as number;
      const bx = v[2 * k + 2] as number;
      const by = v[2 * k + 3] as number;
      const d2 = segmentDistanceSq(px, py, ax, ay, bx, by, kx, ky);
      if (d2 <= inner) return true;
      if (d2 <= outer && pointSegmentDistanceFar(px, py, ax, ay, bx, by) <= buffer) return true;
    }
  }
  return false;
}
