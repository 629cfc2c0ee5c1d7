import { Kysely, sql } from 'kysely';

/**
 * Orders the outbox: events written in one transaction share a creation time to the microsecond, so the order
 * in which they were written is kept in a sequence. The dispatcher fans events out in that order, and delivers
 * an event of a violation on a channel only once the earlier ones there are no longer pending.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table outbox_events add column seq bigint generated always as identity;
    create index outbox_events_unpublished_seq_idx on outbox_events(seq) where published_at is null;
    create index deliveries_pending_case_idx on deliveries(violation_id, channel_id) where status = 'pending';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index deliveries_pending_case_idx;
    drop index outbox_events_unpublished_seq_idx;
    alter table outbox_events drop column seq;
  `.execute(db);
}
