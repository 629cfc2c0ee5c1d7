import { parentPort, workerData } from 'worker_threads';
import type { FeatureCollection } from 'geojson';
import { workerJob } from '../worker/run-in-worker';
import { importLayer, type LayerImport, type LayerMapping } from './importer';
import type { ReferenceLine } from './name-check';

interface Job {
  /** The layer, its mapping and references as one JSON string: one string crosses threads fastest. */
  json: string;
}

workerJob(parentPort, workerData as Job, (job, progress): LayerImport => {
  const { geojson, mapping, references } = JSON.parse(job.json) as {
    geojson: FeatureCollection;
    mapping: LayerMapping;
    references: ReferenceLine[];
  };
  let last = 0;
  return importLayer(geojson, mapping, {
    references,
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      progress({ zonesBuilt: done, zonesTotal: total });
    },
  });
});
