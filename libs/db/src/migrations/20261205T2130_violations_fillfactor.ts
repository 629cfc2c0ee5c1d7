import { Kysely, sql } from 'kysely';

/**
 * Ingest moves an open violation's `last_seen_at` with every batch holding a new fix of its tracker. The column is
 * in no index, so with free room left on each page PostgreSQL updates the row in place (a heap-only tuple)
 * instead of writing a new version into every index of the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table violations set (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table violations reset (fillfactor)`.execute(db);
}
