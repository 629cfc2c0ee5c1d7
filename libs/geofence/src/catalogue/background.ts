import { join, resolve } from 'path';
import { Worker } from 'worker_threads';
import type { FlatIndex } from '../index/flat-index';
import { registerIndexBuild } from '../index/load';
import {
  defaultCacheDir,
  defaultCatalogueCacheFile,
  defaultDataDir,
  type DefaultCatalogueOptions,
  type LoadedCatalogue,
} from './default-catalogue';

type WorkerMessage =
  | { kind: 'catalogue'; json: string }
  | { kind: 'index'; flat: FlatIndex | null }
  | { kind: 'error'; error: string };

export interface BackgroundCatalogueOptions extends DefaultCatalogueOptions {
  /** Cache directory of built indexes, as given to `loadIndex` (default: `cacheDir`). */
  indexCacheDir?: string | false;
}

const running = new Map<string, Promise<LoadedCatalogue>>();

function jobKey(options: DefaultCatalogueOptions): string {
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  return `${resolve(options.dataDir ?? defaultDataDir())}\n${cacheDir === false ? '' : resolve(cacheDir)}`;
}

/**
 * The default catalogue imported on a worker thread, which then builds the catalogue's index (default
 * parameters) unless it is cached: `loadIndex` of this catalogue in this process takes that build instead of
 * starting its own. Calls with the same directories share one import.
 */
export function loadDefaultCatalogueInBackground(
  options: BackgroundCatalogueOptions = {},
): Promise<LoadedCatalogue> {
  const key = jobKey(options);
  const started = running.get(key);
  if (started) return started;
  const ts = __filename.endsWith('.ts');
  const { indexCacheDir, ...catalogueOptions } = options;
  const worker = new Worker(
    join(__dirname, ts ? 'default-catalogue.worker.ts' : 'default-catalogue.worker.js'),
    {
      workerData: {
        options: catalogueOptions,
        indexCacheDir: indexCacheDir === undefined ? (options.cacheDir ?? defaultCacheDir()) : indexCacheDir,
      },
      execArgv: ts ? ['-r', '@swc-node/register'] : [],
    },
  );
  // Nothing waits on the worker itself: a process that ends before it has finished does not wait for it.
  worker.unref();
  let settleIndex: (flat: FlatIndex | null) => void = () => undefined;
  let finished = false;
  const job = new Promise<LoadedCatalogue>((resolveCatalogue, reject) => {
    const fail = (error: Error) => {
      running.delete(key);
      settleIndex(null);
      reject(error);
    };
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'catalogue') {
        const loaded = JSON.parse(message.json) as LoadedCatalogue;
        registerIndexBuild(
          loaded.catalogue.version,
          {},
          new Promise<FlatIndex | null>((done) => (settleIndex = done)),
        );
        resolveCatalogue(loaded);
      } else if (message.kind === 'index') {
        finished = true;
        // Later calls read the import from its cache rather than keep the catalogue in memory for good.
        running.delete(key);
        settleIndex(message.flat);
        void worker.terminate();
      } else fail(new Error(`default catalogue import failed: ${message.error}`));
    });
    worker.once('error', fail);
    worker.once('exit', (code) => {
      settleIndex(null);
      if (!finished && code !== 0) fail(new Error(`default catalogue worker exited with code ${code}`));
    });
  });
  running.set(key, job);
  return job;
}

/**
 * Starts importing the default catalogue (and building its index) on a worker thread if its import is not
 * cached yet, so that the work overlaps whatever this thread does meanwhile; `loadDefaultCatalogueInBackground`
 * then takes the result.
 */
export function prefetchDefaultCatalogue(options: BackgroundCatalogueOptions = {}): void {
  if (defaultCatalogueCacheFile(options) !== null) return;
  loadDefaultCatalogueInBackground(options).catch(() => undefined);
}
