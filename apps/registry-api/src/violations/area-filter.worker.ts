import { parentPort, workerData } from 'worker_threads';
import { pointInArea, type AreaGeometry } from '@app/dispatch';
import { workerJob } from '@app/geofence';

interface AreaFilterJob {
  readonly polygon: AreaGeometry;
  readonly lats: Float64Array;
  readonly lons: Float64Array;
}

/** The indexes of the fixes inside the polygon (holes excluded), tested on this worker thread. */
workerJob(parentPort, workerData as AreaFilterJob, (job): number[] => {
  const inside: number[] = [];
  for (let i = 0; i < job.lats.length; i++)
    if (pointInArea(job.lats[i]!, job.lons[i]!, job.polygon)) inside.push(i);
  return inside;
});
