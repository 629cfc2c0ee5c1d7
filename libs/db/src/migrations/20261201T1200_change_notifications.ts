import { Kysely, sql } from 'kysely';

/**
 * Changes that processes holding a copy in memory must hear of, notified when their transaction commits, whoever
 * makes them (API, CSV import, a console session):
 *
 * - `zone_catalogue`: the active catalogue version changed; every process with a geofence index switches to it.
 * - `tracker_targets`: a tracker's target (its machine, category and reporting intervals, which ingest keeps in
 *   memory) changed, so that no instance goes on storing fixes against a machine the tracker left. One
 *   notification per statement: ingest drops every target it holds and reads them again as fixes arrive.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function notify_tracker_targets() returns trigger language plpgsql as $$
    begin
      perform pg_notify('tracker_targets', tg_table_name);
      return null;
    end $$;

    create trigger tracker_bindings_notify_targets
      after insert or update or delete on tracker_bindings
      for each statement execute function notify_tracker_targets();
    create trigger trackers_notify_targets
      after insert or delete or update of imei, interval_moving_seconds, interval_ignition_off_seconds on trackers
      for each statement execute function notify_tracker_targets();
    create trigger machines_notify_targets
      after update of category on machines
      for each statement execute function notify_tracker_targets();

    create function notify_zone_catalogue() returns trigger language plpgsql as $$
    begin
      perform pg_notify('zone_catalogue', '');
      return null;
    end $$;
    create trigger zone_catalogue_active_notify
      after insert or update or delete on zone_catalogue_active
      for each statement execute function notify_zone_catalogue();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger zone_catalogue_active_notify on zone_catalogue_active;
    drop function notify_zone_catalogue();
    drop trigger machines_notify_targets on machines;
    drop trigger trackers_notify_targets on trackers;
    drop trigger tracker_bindings_notify_targets on tracker_bindings;
    drop function notify_tracker_targets();
  `.execute(db);
}
