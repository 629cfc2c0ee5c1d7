/**
 * Geofence benchmark on the real Peru catalogue: single-core throughput of the cell index against
 * which-polygon, turf and PostGIS (when DATABASE_URL is set), with a bare `latLngToCell` loop as the
 * ceiling; the analysts' CLI end to end (`check`: points CSV in, NDJSON out) on the same points; index
 * build time and memory. Usage:
 *   npm run bench:geofence [-- --points 100000 --runs 3 --cold]
 */
import * as turf from '@turf/turf';
import { execFileSync } from 'child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { latLngToCell } from 'h3-js';
import { cpus } from 'os';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import whichPolygon from 'which-polygon';
import {
  buildFlatIndex,
  catalogueToFeatureCollection,
  defaultCacheDir,
  defaultDataDir,
  GeofenceIndex,
  loadDefaultCatalogue,
  loadIndex,
  readPointsCsv,
  writeCheckOutput,
  type Zone,
} from '@app/geofence';
import { benchPoints } from './points';
import { runPostgis } from './postgis';
import { numberArg } from '../support';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = numberArg('points', 100000);
const RUNS = numberArg('runs', 3);
const COLD = process.argv.includes('--cold');

function best(runs: number, fn: () => number): { ms: number; check: number } {
  let ms = Infinity;
  let check = 0;
  for (let r = 0; r < runs; r++) {
    const t = process.hrtime.bigint();
    check = fn();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms, check };
}

function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function fmtRate(n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} pts/s`;
}

async function main(): Promise<void> {
  console.log(
    `geofence benchmark — ${new Date().toISOString()} — Node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`,
  );
  const t0 = Date.now();
  const { catalogue, fromCache } = loadDefaultCatalogue();
  console.log(
    `catalogue ${catalogue.version}: ${catalogue.zones.length} zones, import ${Date.now() - t0} ms${fromCache ? ' (cached)' : ''}`,
  );

  // Index build (cold, on this thread) and memory; then the cached load path.
  let index: GeofenceIndex;
  const m0 = memory();
  if (COLD) {
    const t = Date.now();
    const flat = buildFlatIndex(catalogue.zones, catalogue.version);
    const buildMs = Date.now() - t;
    index = new GeofenceIndex(catalogue.zones, flat);
    console.log(`index build (cold, one thread): ${buildMs} ms; ${JSON.stringify(flat.stats)}`);
  } else {
    const loaded = await loadIndex(catalogue, { cacheDir: defaultCacheDir() });
    index = loaded.index;
    console.log(
      `index ${loaded.fromCache ? 'loaded from cache' : 'built in a worker and cached'} in ${loaded.ms} ms (recorded build ${index.stats.buildMs} ms)`,
    );
  }
  const m1 = memory();
  console.log(
    `index memory (heap + array buffers): ${((m1 - m0) / 1e6).toFixed(0)} MB; entries ${index.stats.entries}, boundary cells ${index.stats.boundaryCells}, resolutions ${index.minRes}–${index.maxRes}, positions at res ${index.fineRes}`,
  );
  {
    const t = Date.now();
    await loadIndex(catalogue, { cacheDir: defaultCacheDir() });
    console.log(`cached load: ${Date.now() - t} ms`);
  }

  const { lat, lon } = benchPoints(defaultDataDir(), N);
  const fine = Array.from(lat, (la, i) => latLngToCell(la, lon[i] as number, index.fineRes));
  console.log(
    `\n${N.toLocaleString('en-US')} points (half uniform over Peru, half around mining detections), best of ${RUNS} runs, one thread\n`,
  );

  const results: { name: string; ms: number; n: number; note: string }[] = [];
  const bare = best(RUNS, () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += latLngToCell(lat[i] as number, lon[i] as number, index.fineRes).length;
    return s;
  });
  results.push({ name: 'bare latLngToCell (ceiling)', ms: bare.ms, n: N, note: '' });

  const idx = best(RUNS, () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += index.zonesAt(lat[i] as number, lon[i] as number).length;
    return s;
  });
  results.push({
    name: 'index zonesAt (computes the cell)',
    ms: idx.ms,
    n: N,
    note: `${idx.check} matches, all zones`,
  });

  const stored = best(RUNS, () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += index.zonesAt(lat[i] as number, lon[i] as number, fine[i]).length;
    return s;
  });
  results.push({
    name: 'index zonesAt (stored fine cell)',
    ms: stored.ms,
    n: N,
    note: `${stored.check} matches`,
  });

  // The analysts' CLI on the same points: what `check` does once its index is loaded, CSV file in → NDJSON file
  // out, then the whole command once (process start, zones file and cached index included).
  const dir = mkdtempSync(join(tmpdir(), 'geofence-bench-'));
  const csvFile = join(dir, 'points.csv');
  const outFile = join(dir, 'out.ndjson');
  const csvLines = ['id,lon,lat'];
  for (let i = 0; i < N; i++) csvLines.push(`p${i},${lon[i] as number},${lat[i] as number}`);
  writeFileSync(csvFile, `${csvLines.join('\n')}\n`);
  const cli = best(RUNS, () => {
    const points = readPointsCsv(readFileSync(csvFile));
    const fd = openSync(outFile, 'w');
    try {
      writeCheckOutput(index, points, (chunk) => writeSync(fd, chunk));
    } finally {
      closeSync(fd);
    }
    return points.count;
  });
  results.push({
    name: 'CLI check: CSV in → NDJSON out (index loaded)',
    ms: cli.ms,
    n: N,
    note: `${cli.check} points`,
  });
  const zonesFile = join(dir, 'zones.geojson');
  writeFileSync(zonesFile, JSON.stringify(catalogueToFeatureCollection(catalogue)));
  const repo = resolve(__dirname, '../..');
  const command = Date.now();
  execFileSync(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      join(repo, 'apps/geofence-cli/src/main.ts'),
      'check',
      '--zones',
      zonesFile,
      '--points',
      csvFile,
      '--out',
      outFile,
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  const commandMs = Date.now() - command;
  rmSync(dir, { recursive: true, force: true });

  // which-polygon: polygon zones only (it has no line buffers).
  const polygonZones = catalogue.zones.filter((z) => z.bufferMeters === undefined);
  const fc: FeatureCollection = {
    type: 'FeatureCollection',
    features: polygonZones.map((z): Feature => ({
      type: 'Feature',
      properties: { id: z.id },
      geometry: z.geometry,
    })),
  };
  const wp = whichPolygon(fc);
  const which = best(RUNS, () => {
    let s = 0;
    for (let i = 0; i < N; i++) {
      const r = wp([lon[i] as number, lat[i] as number], true);
      if (Array.isArray(r)) s += r.length;
    }
    return s;
  });
  results.push({
    name: 'which-polygon (polygons only, all matches)',
    ms: which.ms,
    n: N,
    note: `${which.check} matches`,
  });
  const polyOnly = best(RUNS, () => {
    let s = 0;
    for (let i = 0; i < N; i++)
      for (const z of index.zonesAt(lat[i] as number, lon[i] as number))
        if (z.bufferMeters === undefined) s++;
    return s;
  });
  console.log(
    `check: index polygon matches ${polyOnly.check}, which-polygon ${which.check} (which-polygon unites no MultiPolygon parts, so it may count a zone twice)`,
  );

  // turf: bbox prefilter, booleanPointInPolygon; on a subsample (it is slow).
  const nTurf = Math.min(N, 20000);
  const boxes = polygonZones.map((z) => turf.bbox(z.geometry));
  const turfRun = best(1, () => {
    let s = 0;
    for (let i = 0; i < nTurf; i++) {
      const x = lon[i] as number;
      const y = lat[i] as number;
      for (let k = 0; k < polygonZones.length; k++) {
        const b = boxes[k] as number[];
        if (x < (b[0] as number) || x > (b[2] as number) || y < (b[1] as number) || y > (b[3] as number))
          continue;
        if (turf.booleanPointInPolygon([x, y], (polygonZones[k] as Zone).geometry as Polygon | MultiPolygon))
          s++;
      }
    }
    return s;
  });
  results.push({
    name: 'turf booleanPointInPolygon + bbox (polygons)',
    ms: turfRun.ms,
    n: nTurf,
    note: `${nTurf} points`,
  });

  let postgisLine = 'PostGIS: skipped (DATABASE_URL not set)';
  const url = process.env.DATABASE_URL;
  if (url) {
    try {
      const r = await runPostgis(url, catalogue.zones, lat, lon, RUNS);
      if (typeof r === 'string') postgisLine = `PostGIS: skipped (${r})`;
      else {
        for (const v of r.variants) {
          results.push({
            name: `PostGIS batch join (${v.name})`,
            ms: v.joinMs,
            n: N,
            note: `${v.matches} matches`,
          });
        }
        const bestPg = Math.min(...r.variants.map((v) => v.joinMs));
        postgisLine =
          `PostGIS: set up in ${r.loadMs} ms; best batch join ${fmtRate(N, bestPg)}; index ÷ best PostGIS = ${(bestPg / idx.ms).toFixed(2)}×; ` +
          `CLI ÷ best PostGIS = ${(bestPg / cli.ms).toFixed(2)}×`;
      }
    } catch (err) {
      postgisLine = `PostGIS: skipped (${(err as Error).message})`;
    }
  }

  const rate = (r: { ms: number; n: number }): number => r.n / (r.ms / 1000);
  const ours = rate({ ms: idx.ms, n: N });
  console.log('| method | throughput | index (computing the cell) ÷ method | note |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${fmtRate(r.n, r.ms)} | ${(ours / rate(r)).toFixed(2)}× | ${r.note} |`);
  }
  console.log(`\n${postgisLine}`);
  console.log(`index ÷ bare latLngToCell ceiling: ${(ours / rate({ ms: bare.ms, n: N })).toFixed(2)}`);
  console.log(
    `CLI check (CSV in → NDJSON out) ÷ index: ${(idx.ms / cli.ms).toFixed(2)}; the whole command (start, zones file, cached index, ` +
      `${N.toLocaleString('en-US')} points) took ${commandMs} ms, ${fmtRate(N, commandMs)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
