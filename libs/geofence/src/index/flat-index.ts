/**
 * The built index as flat typed arrays: what the builder produces, what a worker thread transfers,
 * and what the on-disk cache stores.
 */
export const INDEX_FORMAT = 4;

export interface IndexParams {
  /** Coarsest resolution of the index (first lookup). */
  minRes: number;
  /** Finest resolution: cells still crossed by more than `leafEdges` edges keep them here. */
  maxRes: number;
  /** Resolution at which positions are stored and looked up (≥ maxRes). */
  fineRes: number;
  /** Fractional margin added around each cell's bounding box (see docs/geofence.md). */
  margin: number;
  /** Longest river segment, in metres, after densification. */
  maxSegmentMeters: number;
  /** A cell crossed by at most this many edges of a part is not split further. */
  leafEdges: number;
}

export const DEFAULT_INDEX_PARAMS: IndexParams = {
  minRes: 4,
  maxRes: 8,
  fineRes: 12,
  margin: 0.15,
  maxSegmentMeters: 1000,
  leafEdges: 1,
};

export const ENTRY_DEEPER = 1;

export interface FlatIndex {
  format: number;
  catalogueVersion: string;
  params: IndexParams;
  zoneCount: number;
  /** Per entry: numeric cell key, resolution, flags. */
  entryKey: Float64Array;
  entryRes: Uint8Array;
  entryFlags: Uint8Array;
  /** Per entry: index into `lists` of the sorted zone indices fully covering the cell. */
  entryList: Int32Array;
  /** Per entry: boundary records [start, start+count). */
  entryRecStart: Int32Array;
  entryRecCount: Int32Array;
  /** Per entry: the reference point (lon, lat) whose inside/outside status each record stores. */
  entryRef: Float64Array;
  /** Interned zone lists: list i is listPool[listStart[i] .. listStart[i+1]). */
  listStart: Int32Array;
  listPool: Int32Array;
  /** Boundary records: zone index, flags (1: reference point inside, 2: line), runs. */
  recZone: Int32Array;
  recFlags: Uint8Array;
  recRunStart: Int32Array;
  recRunCount: Int32Array;
  /** Runs of consecutive edges: pairs (first vertex index, edge count). */
  runPool: Int32Array;
  /** Vertex pool, lon/lat interleaved. */
  vertices: Float64Array;
  /** Buffer in metres per zone (0 for polygons). */
  zoneBuffer: Float64Array;
  /** Build statistics. */
  stats: IndexStats;
}

export interface IndexStats {
  buildMs: number;
  entries: number;
  boundaryCells: number;
  records: number;
  fullCells: number;
  vertices: number;
  runs: number;
}

export const REC_REF_INSIDE = 1;
export const REC_LINE = 2;

type ArrayField =
  | 'entryKey'
  | 'entryRes'
  | 'entryFlags'
  | 'entryList'
  | 'entryRecStart'
  | 'entryRecCount'
  | 'entryRef'
  | 'listStart'
  | 'listPool'
  | 'recZone'
  | 'recFlags'
  | 'recRunStart'
  | 'recRunCount'
  | 'runPool'
  | 'vertices'
  | 'zoneBuffer';

const ARRAY_FIELDS: { name: ArrayField; ctor: 'f64' | 'i32' | 'u8' }[] = [
  { name: 'entryKey', ctor: 'f64' },
  { name: 'entryRef', ctor: 'f64' },
  { name: 'vertices', ctor: 'f64' },
  { name: 'zoneBuffer', ctor: 'f64' },
  { name: 'entryList', ctor: 'i32' },
  { name: 'entryRecStart', ctor: 'i32' },
  { name: 'entryRecCount', ctor: 'i32' },
  { name: 'listStart', ctor: 'i32' },
  { name: 'listPool', ctor: 'i32' },
  { name: 'recZone', ctor: 'i32' },
  { name: 'recRunStart', ctor: 'i32' },
  { name: 'recRunCount', ctor: 'i32' },
  { name: 'runPool', ctor: 'i32' },
  { name: 'entryRes', ctor: 'u8' },
  { name: 'entryFlags', ctor: 'u8' },
  { name: 'recFlags', ctor: 'u8' },
];

const MAGIC = 'CNTLGEOF';

/** Serialise to one buffer: magic, header length, JSON header, then 8-byte aligned arrays. */
export function serializeIndex(index: FlatIndex): Buffer {
  const lengths: Record<string, number> = {};
  for (const f of ARRAY_FIELDS) lengths[f.name] = index[f.name].length;
  const header = JSON.stringify({
    format: index.format,
    catalogueVersion: index.catalogueVersion,
    params: index.params,
    zoneCount: index.zoneCount,
    stats: index.stats,
    lengths,
  });
  const headerBuf = Buffer.from(header, 'utf8');
  const headerPadded = Math.ceil((16 + headerBuf.length) / 8) * 8;
  let total = headerPadded;
  for (const f of ARRAY_FIELDS) total += Math.ceil(index[f.name].byteLength / 8) * 8;
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(headerBuf.length, 8);
  headerBuf.copy(out, 16);
  let offset = headerPadded;
  for (const f of ARRAY_FIELDS) {
    const a = index[f.name];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, offset);
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  return out;
}

export function deserializeIndex(buf: Buffer): FlatIndex {
  if (buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a geofence index file');
  const headerLen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 16, 16 + headerLen)) as {
    format: number;
    catalogueVersion: string;
    params: IndexParams;
    zoneCount: number;
    stats: IndexStats;
    lengths: Record<string, number>;
  };
  if (header.format !== INDEX_FORMAT) throw new Error(`index format ${header.format}, expected ${INDEX_FORMAT}`);
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  let offset = Math.ceil((16 + headerLen) / 8) * 8;
  const arrays: Partial<Record<ArrayField, Float64Array | Int32Array | Uint8Array>> = {};
  for (const f of ARRAY_FIELDS) {
    const len = header.lengths[f.name] ?? 0;
    const bytes = f.ctor === 'f64' ? 8 : f.ctor === 'i32' ? 4 : 1;
    arrays[f.name] =
      f.ctor === 'f64'
        ? new Float64Array(ab, offset, len)
        : f.ctor === 'i32'
          ? new Int32Array(ab, offset, len)
          : new Uint8Array(ab, offset, len);
    offset += Math.ceil((len * bytes) / 8) * 8;
  }
  return {
    format: header.format,
    catalogueVersion: header.catalogueVersion,
    params: header.params,
    zoneCount: header.zoneCount,
    stats: header.stats,
    entryKey: arrays.entryKey as Float64Array,
    entryRes: arrays.entryRes as Uint8Array,
    entryFlags: arrays.entryFlags as Uint8Array,
    entryList: arrays.entryList as Int32Array,
    entryRecStart: arrays.entryRecStart as Int32Array,
    entryRecCount: arrays.entryRecCount as Int32Array,
    entryRef: arrays.entryRef as Float64Array,
    listStart: arrays.listStart as Int32Array,
    listPool: arrays.listPool as Int32Array,
    recZone: arrays.recZone as Int32Array,
    recFlags: arrays.recFlags as Uint8Array,
    recRunStart: arrays.recRunStart as Int32Array,
    recRunCount: arrays.recRunCount as Int32Array,
    runPool: arrays.runPool as Int32Array,
    vertices: arrays.vertices as Float64Array,
    zoneBuffer: arrays.zoneBuffer as Float64Array,
  };
}

/** The transferable buffers of an index (for postMessage). */
export function indexTransferList(index: FlatIndex): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const f of ARRAY_FIELDS) set.add(index[f.name].buffer as ArrayBuffer);
  return [...set];
}
