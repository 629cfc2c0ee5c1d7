import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGeofenceFixtures, GEOFENCE_FIXTURES_ENV } from './support/geofence-fixtures';

/**
 * Once per test run, before any suite: the default Peru catalogue and its geofence index, built by the product's
 * code into a directory of this run. The suites load them from there (`test/support/geofence-fixtures.ts`)
 * instead of each building them cold under its own timeout.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-fixtures-'));
  // The test workers start after this and inherit the environment.
  process.env[GEOFENCE_FIXTURES_ENV] = dir;
  const built = await buildGeofenceFixtures(dir);
  process.stderr.write(
    `\ngeofence fixtures: default catalogue (${built.zones} zones) imported in ${built.catalogueMs} ms, index built in ${built.indexMs} ms, in ${dir}\n`,
  );
}
