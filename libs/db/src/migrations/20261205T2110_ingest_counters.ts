import { Kysely, sql } from 'kysely';

/**
 * What each ingest process has counted since it started (messages, fixes stored and already stored, rejections by
 * reason, messages the database refused, ...), written by the process every few seconds and when it stops, one row
 * per run and counter: the registry API adds them up for administrators, whichever process serves the request
 * and however many ingest instances (and restarts of each) there were.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ingest_counters (
      run_id uuid not null,
      instance_id text not null,
      counter text not null,
      value bigint not null,
      started_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (run_id, counter)
    );
    create index ingest_counters_instance_idx on ingest_counters(instance_id, updated_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ingest_counters`.execute(db);
}
