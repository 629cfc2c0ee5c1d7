import { Kysely, sql } from 'kysely';

/**
 * Drops the index of device messages by tracker and arrival time: no query reads messages that way (evidence reaches
 * a message by its id, from the fix that refers to it), and ingest paid for it on every message it stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index device_messages_received_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index device_messages_received_idx on device_messages(imei, received_at)`.execute(db);
}
