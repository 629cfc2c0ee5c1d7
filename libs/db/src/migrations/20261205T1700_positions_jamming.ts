import { Kysely, sql } from 'kysely';

/**
 * Keeps the jamming states a tracker reports with a fix (Teltonika I/O 318 and 249), which the integrity detectors
 * quote in their alerts: without them a live state rebuilt from stored positions differed from the one built as
 * the fixes arrived. Nullable columns: adding them rewrites no partition.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table positions add column gnss_jamming text, add column gsm_jamming boolean`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table positions drop column gnss_jamming, drop column gsm_jamming`.execute(db);
}
