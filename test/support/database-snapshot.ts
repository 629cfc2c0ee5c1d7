import * as fs from 'node:fs';
import * as path from 'node:path';
// Relative import: the global setup loads this module too, outside Jest's module mapping.
import { embeddedSnapshot } from '../../libs/db/src/database';

/**
 * A new embedded database takes PGlite's initdb and every migration: many seconds on a busy machine, paid by
 * every suite. The global setup makes one migrated, empty database once per run (`test/global-setup.ts`) and this
 * variable names its snapshot; each suite's embedded database starts from it.
 */
export const DATABASE_SNAPSHOT_ENV = 'CENTINELA_TEST_DATABASE_SNAPSHOT';

/** Writes the run's snapshot of a migrated, empty embedded database into `dir`; returns its file. */
export async function buildDatabaseSnapshot(dir: string): Promise<string> {
  const file = path.join(dir, 'embedded-database.tar');
  const snapshot = await embeddedSnapshot();
  fs.writeFileSync(file, Buffer.from(await snapshot.arrayBuffer()));
  return file;
}

/** The run's snapshot, when the global setup made one. */
export function databaseSnapshot(): Blob | undefined {
  const file = process.env[DATABASE_SNAPSHOT_ENV];
  if (!file || !fs.existsSync(file)) return undefined;
  return new Blob([fs.readFileSync(file)]);
}
