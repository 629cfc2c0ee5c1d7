import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { DB } from './schema';
import { Client } from 'pg';
import { openDatabase } from './database';
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
  });
