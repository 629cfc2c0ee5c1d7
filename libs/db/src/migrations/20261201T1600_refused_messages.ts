import { Kysely, sql } from 'kysely';

/**
 * Device messages the database refused to store (a data or constraint error that retrying cannot cure), kept
 * whole with the reason, so that ingest can acknowledge them instead of having the broker deliver them without end
 * (and hold back every message behind them on the same connection), and an operator can see and replay them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table refused_device_messages (
      id uuid primary key default gen_random_uuid(),
      imei text,
      topic text not null,
      payload bytea not null,
      received_at timestamptz not null,
      refused_at timestamptz not null default now(),
      sqlstate text,
      error text not null
    );
    create index refused_device_messages_refused_idx on refused_device_messages(refused_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table refused_device_messages`.execute(db);
}
