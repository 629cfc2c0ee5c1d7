import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDatabaseSnapshot, DATABASE_SNAPSHOT_ENV } from './support/database-snapshot';
import { buildGeofenceFixtures, GEOFENCE_FIXTURES_ENV } from './support/geofence-fixtures';

/**
 * Once per test run, before any suite: the default Peru catalogue and its geofence index, built by the product's
 * code into a directory of this run, and a migrated, empty embedded database. The suites load them from there
 * (`test/support/geofence-fixtures.ts`, `test/support/database-snapshot.ts`) instead of each building them cold
 * under its own timeout.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-fixtures-'));
  // The test workers start after this and inherit the environment.
  process.env[GEOFENCE_FIXTURES_ENV] = dir;
  const [built, snapshot] = await Promise.all([
    buildGeofenceFixtures(dir),
    timed(() => buildDatabaseSnapshot(dir)),
  ]);
  process.env[DATABASE_SNAPSHOT_ENV] = snapshot.result;
  process.stderr.write(
    `\ngeofence fixtures: default catalogue (${built.zones} zones) imported in ${built.catalogueMs} ms, index built in ${built.indexMs} ms, in ${dir}; migrated embedded database in ${snapshot.ms} ms\n`,
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}
