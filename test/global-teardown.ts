import * as fs from 'node:fs';
import { GEOFENCE_FIXTURES_ENV } from './support/geofence-fixtures';

/** Removes the run's built fixtures (`test/global-setup.ts`). */
export default function globalTeardown(): void {
  const dir = process.env[GEOFENCE_FIXTURES_ENV];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
