import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'fs';
import {
  catalogueToFeatureCollection,
  defaultCacheDir,
  importLayer,
  loadDefaultCatalogue,
  loadIndex,
  makeCatalogue,
  parseLayerMapping,
  readPointsCsv,
  writeCheckOutput,
  zonesFromFeatureCollection,
  InputError,
  type LayerMapping,
} from '@app/geofence';

const USAGE = `Usage:
  npm run geofence -- check --zones <file.geojson> --points <file.csv> [--out <file.ndjson>] [--no-cache]
      One NDJSON line {"id":"..","zones":[..]} per point of the CSV (header id,lon,lat).
  npm run geofence -- catalogue [--out <catalogue.json>] [--report <report.json>] [--geojson <zones.geojson>]
      Import the default Peru catalogue (data/peru), build and cache its index, print the report;
      --geojson writes the zones as a FeatureCollection that "check --zones" reads.
  npm run geofence -- import --layer <file.geojson> --mapping <mapping.json> [--out <zones.json>] [--apply [--no-activate]]
      Import one layer with an attribute mapping and print the repair report; --apply stores it as a new
      catalogue version in the configured database (DATABASE_URL, or the embedded one in DATA_DIR) and,
      unless --no-activate, makes it the active version.`;

function parseArgs(argv: string[]): { command: string; flags: Map<string, string | true> } {
  const [command = '', ...rest] = argv;
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (!a.startsWith('--')) throw new InputError(`unexpected argument "${a}"`);
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(a.slice(2), next);
      i++;
    } else flags.set(a.slice(2), true);
  }
  return { command, flags };
}

function need(flags: Map<string, string | true>, name: string): string {
  const v = flags.get(name);
  if (typeof v !== 'string') throw new InputError(`missing --${name} <file>`);
  return v;
}

function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read ${what} file ${file}: ${(err as Error).message}`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} file ${file}: ${(err as Error).message}`);
  }
}

function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`${what} file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

async function check(flags: Map<string, string | true>): Promise<void> {
  const catalogue = zonesFromFeatureCollection(readJson(need(flags, 'zones'), 'zones'));
  const points = readPointsCsv(readBytes(need(flags, 'points'), 'points'));
  const { index } = await loadIndex(catalogue, {
    worker: false,
    cacheDir: flags.has('no-cache') ? false : defaultCacheDir(),
  });
  const outFile = flags.get('out');
  const fd = typeof outFile === 'string' ? openSync(outFile, 'w') : undefined;
  try {
    writeCheckOutput(index, points, (chunk) => {
      if (fd === undefined) process.stdout.write(chunk);
      else writeSync(fd, chunk);
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function catalogue(flags: Map<string, string | true>): Promise<void> {
  const t0 = Date.now();
  const { catalogue, report, fromCache } = loadDefaultCatalogue();
  const t1 = Date.now();
  const loaded = await loadIndex(catalogue, { cacheDir: defaultCacheDir() });
  const t2 = Date.now();
  const kinds: Record<string, number> = {};
  for (const z of catalogue.zones) kinds[z.kind] = (kinds[z.kind] ?? 0) + 1;
  console.log(`catalogue ${catalogue.version}: ${catalogue.zones.length} zones ${JSON.stringify(kinds)}`);
  console.log(
    `import ${t1 - t0} ms${fromCache ? ' (cached)' : ''}, index ${t2 - t1} ms${loaded.fromCache ? ' (cached)' : ''}`,
  );
  console.log(`index: ${JSON.stringify(loaded.index.stats)}`);
  console.log(
    `repaired ${report.repaired.length}, merged ${report.merged.length}, rejected ${report.rejected.length}`,
  );
  for (const r of report.rejected) console.log(`  rejected ${r.layer ?? ''}[${r.feature}]: ${r.reason}`);
  const out = flags.get('out');
  if (typeof out === 'string') writeFileSync(out, JSON.stringify(catalogue));
  const geojson = flags.get('geojson');
  if (typeof geojson === 'string')
    writeFileSync(geojson, JSON.stringify(catalogueToFeatureCollection(catalogue)));
  const rep = flags.get('report');
  if (typeof rep === 'string') writeFileSync(rep, JSON.stringify(report, null, 2));
}

async function importCommand(flags: Map<string, string | true>): Promise<void> {
  const fc = readJson(need(flags, 'layer'), 'layer');
  let mapping: LayerMapping;
  try {
    mapping = parseLayerMapping(readJson(need(flags, 'mapping'), 'mapping'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message);
  }
  const result = importLayer(fc as Parameters<typeof importLayer>[0], mapping);
  const cat = makeCatalogue(result.zones);
  console.log(JSON.stringify(result.report, null, 2));
  const out = flags.get('out');
  if (typeof out === 'string') writeFileSync(out, JSON.stringify(cat));
  if (flags.has('apply')) {
    const { applyImport } = await import('./apply-import');
    const outcome = await applyImport(
      mapping,
      fc as Parameters<typeof importLayer>[0],
      !flags.has('no-activate'),
    );
    console.log(
      `catalogue version ${outcome.version} (${outcome.zoneCount} zones, parent ${outcome.parentVersion ?? 'none'})` +
        `${outcome.unchanged ? ', unchanged' : ''}${outcome.activated ? ', active' : ''}`,
    );
  }
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  switch (command) {
    case 'check':
      return check(flags);
    case 'catalogue':
      return catalogue(flags);
    case 'import':
      return importCommand(flags);
    default:
      throw new InputError(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

main().catch((err: unknown) => {
  if (err instanceof InputError) {
    console.error(`geofence: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
