import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { DB } from './schema';
import { Client } from 'pg';
import { Database, NotificationListener, embeddedSnapshot, openDatabase } from './database';
import { migrateDown } from './migrator';
import { migrations } from './migrations';

async function tables(db: Kysely<DB>) {
  const result = await sql<{
    table_name: string;
  }>`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(
    db,
  );
  return result.rows.map((r) => r.table_name);
}

/** A listener that records what it is told, and a way to wait for the next thing it is told. */
function recorder() {
  const told: string[] = [];
  let wake: (() => void) | undefined;
  const tell = (what: string) => {
    told.push(what);
    wake?.();
  };
  const listener: NotificationListener = {
    listening: () => tell('listening'),
    notified: (payload) => tell(`notified:${payload}`),
    lost: () => tell('lost'),
  };
  const until = async (what: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!told.includes(what)) {
      if (Date.now() > deadline) throw new Error(`never told ${what}; told ${told.join(', ')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  return { told, listener, until };
}

/** Binds a new tracker to a new machine and returns the ids, in one transaction per change. */
async function enrolAndBind(database: Database, n: number) {
  const db = database.db;
  const owner = await db
    .insertInto('owners')
    .values({
      kind: 'person',
      document_type: 'DNI',
      document_number: `4${String(n).padStart(7, '0')}`,
      name: 'O',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const machine = await db
    .insertInto('machines')
    .values({
      registry_number: `MAQ-2026-${String(n).padStart(6, '0')}`,
      category: 'excavator',
      make: 'M',
      model: 'M',
      year: 2020,
      serial_number: `S-${n}`,
      department: 'MADRE DE DIOS',
      status: 'active',
      owner_id: owner.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tracker = await db
    .insertInto('trackers')
    .values({
      imei: `35000000000${String(n).padStart(4, '0')}`,
      model: 'FMB920',
      interval_moving_seconds: 30,
      interval_ignition_off_seconds: 300,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('tracker_bindings')
    .values({ tracker_id: tracker.id, machine_id: machine.id })
    .execute();
  return { machine: machine.id, tracker: tracker.id };
}

/** What a change to a tracker's target notifies, in either storage mode. */
async function expectTargetNotifications(database: Database) {
  const { told, listener, until } = recorder();
  const stop = await database.listen('tracker_targets', listener);
  await until('listening');
  const { machine, tracker } = await enrolAndBind(database, 1);
  await until('notified:tracker_bindings');
  expect(told).toContain('notified:trackers');
  told.length = 0;
  // A credential change is not part of a target: no notification.
  await database.db.updateTable('trackers').set({ secret_hash: 'h' }).where('id', '=', tracker).execute();
  await database.db.updateTable('machines').set({ category: 'dredge' }).where('id', '=', machine).execute();
  await until('notified:machines');
  expect(told).toEqual(['notified:machines']);
  // The declared use is part of a target; the make is not.
  told.length = 0;
  await database.db.updateTable('machines').set({ make: 'N' }).where('id', '=', machine).execute();
  await database.db
    .updateTable('machines')
    .set({ declared_use: 'mining' })
    .where('id', '=', machine)
    .execute();
  await until('notified:machines');
  expect(told).toEqual(['notified:machines']);
  // Nothing is told of a transaction that rolled back.
  told.length = 0;
  await database.db
    .transaction()
    .execute(async (tx) => {
      await tx
        .updateTable('tracker_bindings')
        .set({ unbound_at: new Date() })
        .where('tracker_id', '=', tracker)
        .execute();
      throw new Error('rolled back');
    })
    .catch(() => undefined);
  await database.db
    .updateTable('trackers')
    .set({ interval_moving_seconds: 60 })
    .where('id', '=', tracker)
    .execute();
  await until('notified:trackers');
  expect(told).toEqual(['notified:trackers']);
  await stop();
}

describe('embedded database', () => {
  it('persists under its data directory across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-pglite-'));
    const first = await openDatabase({ embeddedDataDir: dir });
    await first.db
      .insertInto('agencies')
      .values({ code: 'SERNANP', name: 'SERNANP', kind: 'protected_areas', department: null })
      .execute();
    await first.close();
    const second = await openDatabase({ embeddedDataDir: dir });
    const rows = await second.db.selectFrom('agencies').select('code').execute();
    expect(rows).toEqual([{ code: 'SERNANP' }]);
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrates down to an empty schema and up again', async () => {
    const database = await openDatabase({ embeddedDataDir: 'memory://' });
    expect(await tables(database.db)).toContain('machines');
    for (let i = 0; i < Object.keys(migrations).length; i++) await migrateDown(database.db);
    expect(await tables(database.db)).toEqual([]);
    await database.close();
  });

  it('starts a new database from a snapshot: migrated, empty, and independent of other copies', async () => {
    const snapshot = await embeddedSnapshot();
    const first = await openDatabase({ embeddedDataDir: 'memory://', embeddedSnapshot: snapshot });
    const second = await openDatabase({ embeddedDataDir: 'memory://', embeddedSnapshot: snapshot });
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      first.db,
    );
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    expect(await first.db.selectFrom('machines').select('id').execute()).toEqual([]);
    await first.db.insertInto('registry_counters').values({ year: 1, last_number: 7 }).execute();
    expect(await second.db.selectFrom('registry_counters').selectAll().execute()).toEqual([]);
    await first.close();
    await second.close();
  });

  it('runs one transaction at a time on its single connection', async () => {
    const database = await openDatabase({ embeddedDataDir: 'memory://' });
    const order: string[] = [];
    await Promise.all([
      database.db.transaction().execute(async (tx) => {
        order.push('a:start');
        await tx.insertInto('registry_counters').values({ year: 1, last_number: 1 }).execute();
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('a:end');
      }),
      database.db.transaction().execute(async (tx) => {
        order.push('b:start');
        await tx.insertInto('registry_counters').values({ year: 2, last_number: 1 }).execute();
        order.push('b:end');
      }),
    ]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
    await database.close();
  });

  it("notifies changes to trackers' targets once they commit", async () => {
    const database = await openDatabase({ embeddedDataDir: 'memory://' });
    await expectTargetNotifications(database);
    await database.close();
  });
});

// Runs where a PostgreSQL server is configured (CI); the embedded mode has a single connection by design.
const serverUrl = process.env['DATABASE_URL'];
if (serverUrl)
  describe('PostgreSQL database', () => {
    const name = `centinela_migrate_${randomBytes(4).toString('hex')}`;
    const admin = async (statement: string) => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(statement);
      await client.end();
    };
    const url = () => {
      const u = new URL(serverUrl!);
      u.pathname = `/${name}`;
      return u.toString();
    };

    beforeAll(() => admin(`create database ${name}`));
    afterAll(() => admin(`drop database if exists ${name} with (force)`));

    it('applies each migration once when several instances start at the same time', async () => {
      const instances = await Promise.all(
        [1, 2, 3, 4].map(() => openDatabase({ databaseUrl: url(), poolSize: 2 })),
      );
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        instances[0]!.db,
      );
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
      expect(await tables(instances[0]!.db)).toContain('machines');
      await Promise.all(instances.map((i) => i.close()));
    });

    it("notifies changes to trackers' targets once they commit", async () => {
      const database = await openDatabase({ databaseUrl: url(), poolSize: 2 });
      await expectTargetNotifications(database);
      await database.close();
    });

    it('tells a listener when its connection is lost, and listens again once it is back', async () => {
      const database = await openDatabase({ databaseUrl: url(), poolSize: 2 });
      const { told, listener, until } = recorder();
      const stop = await database.listen('tracker_targets', listener);
      await until('listening');
      told.length = 0;
      await admin(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and query like 'listen %'`,
      );
      await until('lost');
      await until('listening');
      await enrolAndBind(database, 2);
      await until('notified:tracker_bindings');
      expect(told.slice(0, 2)).toEqual(['lost', 'listening']);
      await stop();
      await database.close();
    });
  });
