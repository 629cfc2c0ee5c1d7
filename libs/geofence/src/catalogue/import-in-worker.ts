import { join } from 'path';
import type { FeatureCollection } from 'geojson';
import { runInWorker } from '../worker/run-in-worker';
import type { LayerImport, LayerMapping } from './importer';
import type { ReferenceLine } from './name-check';

export interface LayerImportProgress {
  readonly zonesBuilt: number;
  readonly zonesTotal: number;
}

/**
 * `importLayer` (checks, repair of invalid polygons, buffers, name check) on a worker thread of its own, stopped
 * after `timeoutMs` (WorkerTimeoutError): the calling thread keeps serving meanwhile, however long the repair.
 */
export function importLayerInWorker(
  geojson: FeatureCollection,
  mapping: LayerMapping,
  references: readonly ReferenceLine[],
  options: { timeoutMs: number; onProgress?: (progress: LayerImportProgress) => void; signal?: AbortSignal },
): Promise<LayerImport> {
  return runInWorker<LayerImport>(
    join(__dirname, 'import.worker'),
    { json: JSON.stringify({ geojson, mapping, references }) },
    {
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (progress) => options.onProgress?.(progress as LayerImportProgress),
    },
  );
}

/** Vertices of a GeoJSON geometry's coordinates (any nesting; iterative, so no depth overflows the stack). */
export function vertexCount(coordinates: unknown): number {
  let count = 0;
  const stack: unknown[] = [coordinates];
  while (stack.length > 0) {
    const value = stack.pop();
    if (!Array.isArray(value)) continue;
    if (typeof value[0] === 'number') count++;
    else for (const child of value) stack.push(child);
  }
  return count;
}
