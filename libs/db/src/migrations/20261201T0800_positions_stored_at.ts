import { Kysely, sql } from 'kysely';

/**
 * When each fix was written: evidence of when the registry held it, and the end point of the publish-to-stored
 * latency. Rows are written in their message's transaction, which commits right after.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table positions add column stored_at timestamptz not null default clock_timestamp()`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table positions drop column stored_at`.execute(db);
}
