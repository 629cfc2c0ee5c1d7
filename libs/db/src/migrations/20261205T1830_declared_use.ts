import { Kysely, sql } from 'kysely';

/**
 * What each machine is declared to be used for, with the REINFO reference and mining right code of a machine
 * declared for mining. Machines enrolled before have no declared use (unknown); REINFO references they already
 * carry are kept, but a declared use other than mining never carries mining codes.
 *
 * Ingest holds each tracker's machine with its declared use, so changing it notifies `tracker_targets` like a
 * change of category.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table machines
      add column declared_use text check (declared_use in (
        'mining', 'road_works', 'forestry', 'agriculture', 'urban_construction', 'goods_transport', 'other'
      )),
      add column concession_code text,
      add constraint machines_mining_codes_only_for_mining check (
        (declared_use = 'mining' or concession_code is null)
        and (declared_use is null or declared_use = 'mining' or reinfo_code is null)
      );
    create index machines_declared_use_idx on machines(declared_use);

    drop trigger machines_notify_targets on machines;
    create trigger machines_notify_targets
      after update of category, declared_use on machines
      for each statement execute function notify_tracker_targets();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger machines_notify_targets on machines;
    create trigger machines_notify_targets
      after update of category on machines
      for each statement execute function notify_tracker_targets();
    drop index machines_declared_use_idx;
    alter table machines
      drop constraint machines_mining_codes_only_for_mining,
      drop column concession_code,
      drop column declared_use;
  `.execute(db);
}
