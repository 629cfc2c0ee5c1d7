import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { Database, StorageMode, openDatabase } from '@app/db';
import { databaseSnapshot } from './database-snapshot';

/**
 * The storage modes the suites run against: always the embedded PostgreSQL; also a real PostgreSQL server
 * when DATABASE_URL is set (as on CI).
 */
export function storageModes(): StorageMode[] {
  return process.env['DATABASE_URL'] ? ['embedded', 'postgres'] : ['embedded'];
}

export interface TestDatabase extends Database {
  /** Drops the per-suite PostgreSQL database (no-op for the in-memory embedded one). */
  dispose(): Promise<void>;
}

/** A fresh, migrated database for one suite: in-memory PGlite, or a new database on the PostgreSQL server. */
export async function openTestDatabase(mode: StorageMode): Promise<TestDatabase> {
  if (mode === 'embedded') {
    const snapshot = databaseSnapshot();
    const database = await openDatabase({
      embeddedDataDir: 'memory://',
      ...(snapshot ? { embeddedSnapshot: snapshot } : {}),
    });
    return { ...database, dispose: () => database.close() };
  }
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `centinela_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 5 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await database.close();
  };
  return {
    ...database,
    close,
    dispose: async () => {
      await close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A database that outlives the processes using it, as a deployment's does: each `open()` is a new connection (a
 * restarted ingest); `dispose()` removes it for good.
 */
export interface PersistentTestDatabase {
  open(): Promise<TestDatabase>;
  /** The PostgreSQL URL, or the embedded database's directory. */
  readonly location: string;
  dispose(): Promise<void>;
}

export async function persistentTestDatabase(mode: StorageMode): Promise<PersistentTestDatabase> {
  if (mode === 'embedded') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-pglite-'));
    const reopen = async (): Promise<TestDatabase> => closeOnce(await openDatabase({ embeddedDataDir: dir }));
    return {
      open: reopen,
      location: dir,
      dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `centinela_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    location: url.toString(),
    open: async () => closeOnce(await openDatabase({ databaseUrl: url.toString(), poolSize: 5 })),
    dispose: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

function closeOnce(database: Database): TestDatabase {
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= database.close());
  return { ...database, close, dispose: close };
}
