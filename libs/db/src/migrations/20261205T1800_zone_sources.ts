import { Kysely, sql } from 'kysely';

/**
 * Each zone revision keeps its source: the layer and the features (and pieces of them) it was built from, with the
 * names they were published under and the outcome of checking those names against a second source.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table zone_revisions add column source jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table zone_revisions drop column source`.execute(db);
}
