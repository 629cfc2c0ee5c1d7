import { createHash } from 'crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'fs';
import { availableParallelism } from 'os';
import { join } from 'path';
import { Worker } from 'worker_threads';
import type { Catalogue, Zone } from '../model';
import { assembleFlatIndex, buildFlatIndex, prepareParts, rasteriseParts, type PartRaster } from './build';
import {
  DEFAULT_INDEX_PARAMS,
  deserializeIndex,
  INDEX_FORMAT,
  serializeIndex,
  type FlatIndex,
  type IndexParams,
} from './flat-index';
import { GeofenceIndex } from './geofence-index';

export interface LoadIndexOptions {
  /** Directory for built indexes (one file per catalogue version and parameters); `false`: no cache. */
  cacheDir?: string | false;
  /** Build in a worker thread (default true), keeping the calling thread responsive. */
  worker?: boolean;
  params?: Partial<IndexParams>;
  /** Index files kept in `cacheDir` (most recent first); older ones are deleted. Default 8. */
  keep?: number;
}

export interface LoadedIndex {
  index: GeofenceIndex;
  fromCache: boolean;
  ms: number;
}

export function indexCacheFile(
  cacheDir: string,
  catalogue: Catalogue,
  params: Partial<IndexParams> = {},
): string {
  const p = { ...DEFAULT_INDEX_PARAMS, ...params };
  const key = createHash('sha256')
    .update(`${INDEX_FORMAT}\n${catalogue.version}\n${JSON.stringify(p)}`)
    .digest('hex')
    .slice(0, 24);
  return join(cacheDir, `index-${key}.bin`);
}

function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // read-only cache: fine
  }
}

/** Delete all but the `keep` most recently modified files matching `pattern`. */
export function pruneCache(dir: string, pattern: RegExp, keep: number): void {
  try {
    const files = readdirSync(dir)
      .filter((f) => pattern.test(f))
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(keep)) unlinkSync(join(dir, f));
  } catch {
    // best effort: another process may be pruning too
  }
}

/** Index builds already under way in this process (on another thread), by catalogue version and parameters. */
const buildsUnderWay = new Map<string, Promise<FlatIndex | null>>();

function buildKey(version: string, params: Partial<IndexParams>): string {
  return `${version}\n${JSON.stringify({ ...DEFAULT_INDEX_PARAMS, ...params })}`;
}

/**
 * Announces a build of a catalogue version's index started elsewhere in this process (resolving to null if it
 * does not finish): `loadIndex` of that version with those parameters takes its result instead of building.
 */
export function registerIndexBuild(
  version: string,
  params: Partial<IndexParams>,
  build: Promise<FlatIndex | null>,
): void {
  const key = buildKey(version, params);
  const entry = build.catch(() => null);
  buildsUnderWay.set(key, entry);
  void entry.then(() => {
    if (buildsUnderWay.get(key) === entry) buildsUnderWay.delete(key);
  });
}

/** Build the index synchronously on this thread (small catalogues, tests, tools). */
export function buildIndex(catalogue: Catalogue, params: Partial<IndexParams> = {}): GeofenceIndex {
  return new GeofenceIndex(catalogue.zones, buildFlatIndex(catalogue.zones, catalogue.version, params));
}

/** Threads an index build uses by default: the machine's, up to 4. */
export function defaultBuildThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

type WorkerReply<T> = ({ ok: true } & T) | { ok: false; error: string };

function runBuildWorker<T, R>(job: object, pick: (reply: { ok: true } & T) => R): Promise<R> {
  const ts = __filename.endsWith('.ts');
  const file = join(__dirname, ts ? 'build.worker.ts' : 'build.worker.js');
  const worker = new Worker(file, { workerData: job, execArgv: ts ? ['-r', '@swc-node/register'] : [] });
  return new Promise<R>((resolve, reject) => {
    worker.once('message', (msg: WorkerReply<T>) => {
      void worker.terminate();
      if (msg.ok) resolve(pick(msg));
      else reject(new Error(`geofence index build failed: ${msg.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`geofence index worker exited with code ${code}`));
    });
  });
}

/**
 * Build the flat index with `threads` threads: this one rasterises one share of the zones' parts while helper
 * workers rasterise the others, then this one assembles the index (the same index as one thread builds).
 */
export async function buildFlatIndexInThreads(
  zones: readonly Zone[],
  version: string,
  params: Partial<IndexParams> = {},
  threads = defaultBuildThreads(),
): Promise<FlatIndex> {
  if (threads <= 1) return buildFlatIndex(zones, version, params);
  const started = Date.now();
  const zonesJson = JSON.stringify(zones);
  const helpers: Promise<PartRaster>[] = [];
  for (let shard = 1; shard < threads; shard++) {
    const job = { kind: 'shard', zonesJson, params, shard, shards: threads };
    helpers.push(runBuildWorker(job, (msg: { raster: PartRaster }) => msg.raster));
  }
  // A helper that fails is reported once all have settled, not left running unobserved.
  const settled = Promise.allSettled(helpers);
  const prepared = prepareParts(zones, params);
  const own = rasteriseParts(prepared, 0, threads);
  const others = await settled;
  const rasters = [own];
  for (const result of others) {
    if (result.status === 'rejected') throw result.reason;
    rasters.push(result.value);
  }
  return assembleFlatIndex(zones, version, prepared, rasters, started);
}

/** Build the flat index in a worker thread (which shares the work out to `threads` threads). */
export function buildFlatIndexInWorker(
  zones: readonly Zone[],
  version: string,
  params: Partial<IndexParams> = {},
  threads?: number,
): Promise<FlatIndex> {
  const job = { kind: 'build', zones, version, params, ...(threads !== undefined ? { threads } : {}) };
  return runBuildWorker(job, (msg: { flat: FlatIndex }) => msg.flat);
}

/**
 * Load the index of a catalogue: from the on-disk cache when this catalogue version was built
 * before, otherwise built (in a worker thread by default) and then cached.
 */
export async function loadIndex(catalogue: Catalogue, options: LoadIndexOptions = {}): Promise<LoadedIndex> {
  const started = Date.now();
  const params = options.params ?? {};
  const cacheFile = options.cacheDir ? indexCacheFile(options.cacheDir, catalogue, params) : null;
  if (cacheFile && existsSync(cacheFile)) {
    try {
      const flat = deserializeIndex(readFileSync(cacheFile));
      if (flat.catalogueVersion === catalogue.version && flat.zoneCount === catalogue.zones.length) {
        touch(cacheFile);
        return { index: new GeofenceIndex(catalogue.zones, flat), fromCache: true, ms: Date.now() - started };
      }
    } catch {
      // unreadable or stale cache entry: rebuild
    }
  }
  const underWay = await buildsUnderWay.get(buildKey(catalogue.version, params));
  const flat =
    underWay &&
    underWay.catalogueVersion === catalogue.version &&
    underWay.zoneCount === catalogue.zones.length
      ? underWay
      : options.worker === false
        ? buildFlatIndex(catalogue.zones, catalogue.version, params)
        : await buildFlatIndexInWorker(catalogue.zones, catalogue.version, params);
  if (cacheFile && options.cacheDir) {
    mkdirSync(options.cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, serializeIndex(flat));
    renameSync(tmp, cacheFile);
    pruneCache(options.cacheDir, /^index-[0-9a-f]+\.bin$/, options.keep ?? 8);
  }
  return { index: new GeofenceIndex(catalogue.zones, flat), fromCache: false, ms: Date.now() - started };
}

/**
 * Holds the index of the active catalogue version. `activate` builds the next version off the
 * request path and swaps it in atomically; queries keep using the previous index until then.
 */
export class GeofenceEngine {
  private active: GeofenceIndex | null = null;
  private pending: Promise<GeofenceIndex> | null = null;
  private pendingVersion: string | null = null;

  constructor(private readonly options: LoadIndexOptions = {}) {}

  get index(): GeofenceIndex | null {
    return this.active;
  }

  get version(): string | null {
    return this.active?.version ?? null;
  }

  /** Zones at a position with the active index; empty until a catalogue is active. */
  zonesAt(lat: number, lon: number, fineCell?: string): readonly Zone[] {
    return this.active ? this.active.zonesAt(lat, lon, fineCell) : [];
  }

  activate(catalogue: Catalogue): Promise<GeofenceIndex> {
    if (this.active?.version === catalogue.version) return Promise.resolve(this.active);
    if (this.pending && this.pendingVersion === catalogue.version) return this.pending;
    this.pendingVersion = catalogue.version;
    const pending = loadIndex(catalogue, this.options).then(
      ({ index }) => {
        if (this.pendingVersion === catalogue.version) {
          this.active = index;
          this.pending = null;
          this.pendingVersion = null;
        }
        return index;
      },
      (err: unknown) => {
        if (this.pendingVersion === catalogue.version) {
          this.pending = null;
          this.pendingVersion = null;
        }
        throw err;
      },
    );
    this.pending = pending;
    return pending;
  }
}
