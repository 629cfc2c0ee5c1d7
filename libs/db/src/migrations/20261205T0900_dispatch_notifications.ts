import { Kysely, sql } from 'kysely';

/**
 * Dispatchers wake on `dispatch_work` when there is new work for them, instead of polling for it: outbox events
 * written (one notification per statement), and dead-lettered deliveries put back in the queue by an
 * administrator. Deliveries due for a retry and violations due for escalation are found at their time by the
 * dispatcher itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function notify_dispatch_work() returns trigger language plpgsql as $$
    begin
      perform pg_notify('dispatch_work', tg_table_name);
      return null;
    end $$;

    create trigger outbox_events_notify_dispatch
      after insert on outbox_events
      for each statement execute function notify_dispatch_work();
    create trigger deliveries_notify_dispatch
      after update of status on deliveries
      for each row when (new.status = 'pending' and old.status <> 'pending')
      execute function notify_dispatch_work();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger deliveries_notify_dispatch on deliveries;
    drop trigger outbox_events_notify_dispatch on outbox_events;
    drop function notify_dispatch_work();
  `.execute(db);
}
