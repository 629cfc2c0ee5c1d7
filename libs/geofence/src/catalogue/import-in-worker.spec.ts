import type { FeatureCollection } from 'geojson';
import type { LayerMapping } from './importer';
import { importLayerInWorker, vertexCount } from './import-in-worker';
import { WorkerTimeoutError } from '../worker/run-in-worker';

const mapping: LayerMapping = {
  layer: 'test',
  kind: 'protected_area',
  authority: 'SERNANP',
  idPrefix: 'test-',
  name: 'nombre',
};

/** A closed ring of n vertices: a circle, or a star that crosses itself about n²/4 times. */
function layerOf(n: number, star: boolean): FeatureCollection {
  const k = star ? Math.floor(n / 2) : 1;
  const ring: number[][] = [];
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * ((i * k) % n)) / n;
    ring.push([-69.5 + 0.1 * Math.cos(angle), -12.8 + 0.1 * Math.sin(angle)]);
  }
  ring.push(ring[0]!);
  return {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: { nombre: 'Zona' }, geometry: { type: 'Polygon', coordinates: [ring] } },
    ],
  };
}

describe('importLayerInWorker', () => {
  it('imports a layer on a worker thread', async () => {
    const imported = await importLayerInWorker(layerOf(32, false), mapping, [], { timeoutMs: 60_000 });
    expect(imported.zones.map((z) => z.id)).toEqual(['test-zona']);
    expect(imported.report.imported).toBe(1);
  });

  it('stops a repair that outlasts its time, while this thread keeps running', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const started = Date.now();
    try {
      await expect(
        importLayerInWorker(layerOf(801, true), mapping, [], { timeoutMs: 1500 }),
      ).rejects.toBeInstanceOf(WorkerTimeoutError);
    } finally {
      clearInterval(ticker);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    // The event loop of this thread turned all along (a 50 ms timer, about 30 times in 1.5 s).
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('stops when aborted, with the abort reason', async () => {
    const controller = new AbortController();
    const running = importLayerInWorker(layerOf(801, true), mapping, [], {
      timeoutMs: 60_000,
      signal: controller.signal,
      onProgress: () => undefined,
    });
    controller.abort(new Error('stopping'));
    await expect(running).rejects.toThrow('stopping');
  });

  it('counts the vertices of any nesting', () => {
    expect(
      vertexCount([
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ]),
    ).toBe(4);
    expect(
      vertexCount([
        [
          [
            [0, 0],
            [1, 1],
            [0, 0],
          ],
        ],
        [
          [
            [2, 2],
            [3, 3],
            [2, 2],
          ],
        ],
      ]),
    ).toBe(6);
    expect(vertexCount('not coordinates')).toBe(0);
  });
});
