import { Kysely, sql } from 'kysely';

/**
 * What an alert is called and says, in Spanish (`title`, `description`) and in English beside: agencies read the
 * Spanish, integrations may show either. Rows written before keep empty titles and English descriptions.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table violations
      add column title text not null default '',
      add column title_en text not null default '',
      add column description_en text not null default ''
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table violations drop column title, drop column title_en, drop column description_en`.execute(db);
}
