import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Client, Pool } from 'pg';
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
  /**
   * A data directory for a new embedded database to start from, as `embeddedSnapshot` makes it: restoring one is
   * several times faster than creating a database (test suites each start from the same migrated snapshot).
   */
  readonly embeddedSnapshot?: Blob;
}

/** What a listener of a notification channel is told; notifications arrive after their transaction committed. */
export interface NotificationListener {
  /** Listening (again): from now on every notification on the channel is delivered. */
  listening(): void;
  notified(payload: string): void;
  /** The listening connection was lost: notifications may be missed until `listening` is called again. */
  lost(): void;
}

export interface Database {
  readonly db: Kysely<DB>;
  readonly mode: StorageMode;
  /**
   * Listens to a notification channel (`pg_notify`) until the returned function is called; with PostgreSQL on a
   * connection of its own, reconnected after a loss.
   */
  listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** How long a lost listening connection waits before connecting again. */
const LISTEN_RETRY_MS = 1000;

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
  const listeners = new Set<() => Promise<void>>();
  return {
    db,
    mode: 'postgres',
    listen: async (channel, listener) => {
      const stop = listenPostgres(databaseUrl, channel, listener);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },
    close: async () => {
      await Promise.all([...listeners].map((stop) => stop()));
      await db.destroy();
    },
  };
}

/** Keeps a connection of its own listening to `channel`, telling `listener` whenever it is lost and back. */
function listenPostgres(
  databaseUrl: string,
  channel: string,
  listener: NotificationListener,
): () => Promise<void> {
  let stopped = false;
  let current: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    if (!stopped) retry = setTimeout(() => void connect(), LISTEN_RETRY_MS);
    retry?.unref();
  };
  const connect = async () => {
    const client = new Client({ connectionString: databaseUrl });
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel === channel) listener.notified(message.payload ?? '');
    });
    client.on('end', () => {
      if (current !== client) return;
      current = undefined;
      listener.lost();
      reconnectLater();
    });
    try {
      await client.connect();
      await client.query(`listen "${channel.replace(/"/g, '""')}"`);
    } catch {
      await client.end().catch(() => undefined);
      reconnectLater();
      return;
    }
    if (stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    listener.listening();
  };
  void connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const client = current;
    current = undefined;
    await client?.end().catch(() => undefined);
  };
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const dataDir = options.embeddedDataDir ?? path.resolve('.data', 'pglite');
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(
    dataDir.startsWith('memory://') ? undefined : dataDir,
    options.embeddedSnapshot ? { loadDataDir: options.embeddedSnapshot } : {},
  );
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    mode: 'embedded',
    // One session, never lost: LISTEN runs on it between two transactions (the dialect's turn).
    listen: async (channel, listener) => {
      const off = pglite.onNotification((from, payload) => {
        if (from === channel) listener.notified(payload);
      });
      await db.connection().execute((connection) => sql`listen ${sql.id(channel)}`.execute(connection));
      listener.listening();
      return async () => {
        off();
        if (!pglite.closed)
          await db.connection().execute((connection) => sql`unlisten ${sql.id(channel)}`.execute(connection));
      };
    },
    close: () => db.destroy(),
  };
}

/** The data directory of a new, migrated, empty embedded database, for `embeddedSnapshot`. */
export async function embeddedSnapshot(): Promise<Blob> {
  const pglite = await PGlite.create();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    return await pglite.dumpDataDir('none');
  } finally {
    await db.destroy();
  }
}
