import { Kysely, sql } from 'kysely';

/**
 * Ingest records where a violation or integrity alert is (the department, and the province where the catalogue
 * has one, of the position it decided on); the dispatcher routes by it without a zone catalogue of its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table violations add column province text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table violations drop column province`.execute(db);
}
