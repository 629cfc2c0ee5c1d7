import { join } from 'path';
import { pointInArea, type AreaGeometry } from '@app/dispatch';
import { runInWorker, vertexCount } from '@app/geofence';

/**
 * Which of the fixes lie inside the polygon, as their indexes: on this thread when fixes × vertices stay within
 * `inlineWork` (a few milliseconds), else on a worker thread stopped after `timeoutMs` (WorkerTimeoutError), so
 * a large polygon over many fixes never holds the API's event loop.
 */
export async function fixesInsidePolygon(
  polygon: AreaGeometry,
  fixes: ReadonlyArray<{ lat: number; lon: number }>,
  options: { inlineWork: number; timeoutMs: number },
): Promise<Set<number>> {
  if (fixes.length * vertexCount(polygon.coordinates) <= options.inlineWork) {
    const inside = new Set<number>();
    fixes.forEach((fix, i) => {
      if (pointInArea(fix.lat, fix.lon, polygon)) inside.add(i);
    });
    return inside;
  }
  const lats = new Float64Array(fixes.length);
  const lons = new Float64Array(fixes.length);
  fixes.forEach((fix, i) => {
    lats[i] = fix.lat;
    lons[i] = fix.lon;
  });
  const inside = await runInWorker<number[]>(
    join(__dirname, 'area-filter.worker'),
    { polygon, lats, lons },
    { timeoutMs: options.timeoutMs, transfer: [lats.buffer, lons.buffer] },
  );
  return new Set(inside);
}
