import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { migrateToLatest } from './migrator';
import { PGliteDialect } from './pglite-dialect';
import type { DB } from './schema';

export type StorageMode = 'postgres' | 'embedded';

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it the embedded PostgreSQL is used. */
  readonly databaseUrl?: string | undefined;
  /** Directory of the embedded database; `memory://` keeps it in memory (tests). */
  readonly embeddedDataDir?: string;
  readonly poolSize?: number;
}

export interface Database {
  readonly db: Kysely<DB>;
  readonly mode: StorageMode;
  close(): Promise<void>;
}

/** Opens the database of either storage mode and brings its schema to the latest migration. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : await openEmbedded(options);
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openPostgres(databaseUrl: string, poolSize: number): Database {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client losing its connection (server restart, failover) must not crash the process;
  // the pool replaces it and the next query reports any lasting outage.
  pool.on('error', (error) => console.warn(`PostgreSQL idle connection lost: ${error.message}`));
  // A connection lost while checked out between two queries of a transaction reports it on the client; the
  // next query fails (and the transaction with it), which is all that should happen.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, mode: 'postgres', close: () => db.destroy() };
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const dataDir = options.embeddedDataDir ?? path.resolve('.data', 'pglite');
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir.startsWith('memory://') ? undefined : dataDir);
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return { db, mode: 'embedded', close: () => db.destroy() };
}
