import { existsSync } from 'fs';
import { parentPort, workerData } from 'worker_threads';
import { indexTransferList } from '../index/flat-index';
import { buildFlatIndexInThreads, indexCacheFile } from '../index/load';
import { loadDefaultCatalogue, type DefaultCatalogueOptions } from './default-catalogue';

interface Job {
  options: DefaultCatalogueOptions;
  /** Where the index of the catalogue is cached; its build is skipped when the file is there. */
  indexCacheDir: string | false;
}

async function run(job: Job): Promise<void> {
  const loaded = loadDefaultCatalogue(job.options);
  // One string crosses to the other thread far faster than the structured clone of every coordinate pair.
  parentPort?.postMessage({ kind: 'catalogue', json: JSON.stringify(loaded) });
  const { catalogue } = loaded;
  if (job.indexCacheDir && existsSync(indexCacheFile(job.indexCacheDir, catalogue))) {
    parentPort?.postMessage({ kind: 'index', flat: null });
  } else {
    const flat = await buildFlatIndexInThreads(catalogue.zones, catalogue.version);
    parentPort?.postMessage({ kind: 'index', flat }, indexTransferList(flat));
  }
}

run(workerData as Job).catch((err: unknown) => {
  parentPort?.postMessage({ kind: 'error', error: (err as Error).stack ?? String(err) });
});
