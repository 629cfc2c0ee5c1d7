import { parentPort, workerData } from 'worker_threads';
import type { Zone } from '../model';
import { buildFlatIndex } from './build';
import { indexTransferList, type IndexParams } from './flat-index';

interface Job {
  zones: Zone[];
  version: string;
  params: Partial<IndexParams>;
}

const job = workerData as Job;
try {
  const flat = buildFlatIndex(job.zones, job.version, job.params);
  parentPort?.postMessage({ ok: true, flat }, indexTransferList(flat));
} catch (err) {
  parentPort?.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
}
