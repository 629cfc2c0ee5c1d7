import { parentPort, workerData } from 'worker_threads';
import type { Zone } from '../model';
import { prepareParts, rasteriseParts, rasterTransferList } from './build';
import { indexTransferList, type IndexParams } from './flat-index';
import { buildFlatIndexInThreads } from './load';

/** A whole build (which may share its parts out to more threads), or one share of the parts of a build. */
type Job =
  | { kind: 'build'; zones: Zone[]; version: string; params: Partial<IndexParams>; threads?: number }
  | { kind: 'shard'; zonesJson: string; params: Partial<IndexParams>; shard: number; shards: number };

async function run(job: Job): Promise<void> {
  if (job.kind === 'build') {
    const flat = await buildFlatIndexInThreads(job.zones, job.version, job.params, job.threads);
    parentPort?.postMessage({ ok: true, flat }, indexTransferList(flat));
  } else {
    const prepared = prepareParts(JSON.parse(job.zonesJson) as Zone[], job.params);
    const raster = rasteriseParts(prepared, job.shard, job.shards);
    parentPort?.postMessage({ ok: true, raster }, rasterTransferList(raster));
  }
}

run(workerData as Job).catch((err: unknown) => {
  parentPort?.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
});
