import * as fs from 'node:fs';
import * as path from 'node:path';
// Relative imports: the global setup loads this module too, outside Jest's module mapping.
import {
  indexCacheFile,
  loadDefaultCatalogue,
  loadIndex,
  type GeofenceIndex,
  type LoadedCatalogue,
} from '../../libs/geofence/src';

/**
 * The default Peru catalogue and its geofence index are built once per test run, by the product's own code, into
 * a directory of that run (`test/global-setup.ts`); this variable names the directory for the suites. A suite
 * loads the built files (catalogue JSON, index file) through the same code, which would otherwise build cold.
 */
export const GEOFENCE_FIXTURES_ENV = 'CENTINELA_TEST_GEOFENCE_FIXTURES';

export interface BuiltGeofenceFixtures {
  readonly zones: number;
  readonly catalogueMs: number;
  readonly indexMs: number;
}

/** Imports the default catalogue and builds its index into `dir` (the global setup, once per run). */
export async function buildGeofenceFixtures(dir: string): Promise<BuiltGeofenceFixtures> {
  const started = Date.now();
  const { catalogue } = loadDefaultCatalogue({ cacheDir: dir });
  const imported = Date.now();
  await loadIndex(catalogue, { cacheDir: dir });
  return { zones: catalogue.zones.length, catalogueMs: imported - started, indexMs: Date.now() - imported };
}

/** The run's directory of built geofence fixtures. */
export function geofenceFixturesDir(): string {
  const dir = process.env[GEOFENCE_FIXTURES_ENV];
  if (!dir || !fs.existsSync(dir))
    throw new Error(
      `${GEOFENCE_FIXTURES_ENV} does not name the built geofence fixtures: run the suites through jest.config.js, whose global setup builds them`,
    );
  return dir;
}

let catalogue: LoadedCatalogue | undefined;

/** The default catalogue, as imported by the global setup. */
export function fixtureCatalogue(): LoadedCatalogue {
  if (!catalogue) {
    const loaded = loadDefaultCatalogue({ cacheDir: geofenceFixturesDir() });
    if (!loaded.fromCache)
      throw new Error('the default catalogue was imported again: the global setup did not build this one');
    catalogue = loaded;
  }
  return catalogue;
}

let index: Promise<GeofenceIndex> | undefined;

/** The real geofence index of the default catalogue, as built by the global setup. */
export function fixtureIndex(): Promise<GeofenceIndex> {
  index ??= (async () => {
    const dir = geofenceFixturesDir();
    const { catalogue: defaults } = fixtureCatalogue();
    if (!fs.existsSync(indexCacheFile(dir, defaults)))
      throw new Error('no built index of the default catalogue: the global setup did not build this one');
    const loaded = await loadIndex(defaults, { cacheDir: dir });
    if (!loaded.fromCache) throw new Error('the index of the default catalogue was built again');
    return loaded.index;
  })();
  return index;
}

/**
 * A geofence cache directory of the caller's own (an app's `GEOFENCE_CACHE_DIR`), holding the built default
 * catalogue and index: an app seeding the default catalogue loads them instead of building them. The files are
 * hard links (copies where links are impossible), so what the app writes or prunes there stays its own.
 */
export function seededGeofenceCache(dir: string): string {
  const fixtures = geofenceFixturesDir();
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(fixtures)) {
    if (!/^(catalogue-[0-9a-f]+\.json|index-[0-9a-f]+\.bin)$/.test(file)) continue;
    const target = path.join(dir, file);
    if (fs.existsSync(target)) continue;
    try {
      fs.linkSync(path.join(fixtures, file), target);
    } catch {
      fs.copyFileSync(path.join(fixtures, file), target);
    }
  }
  return dir;
}
