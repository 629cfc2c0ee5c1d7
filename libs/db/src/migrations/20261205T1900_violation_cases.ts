import { Kysely, sql } from 'kysely';

/**
 * One act, one case: a violation lists every zone of its kind the machine was in (`zones`: id, name, kind, layer)
 * instead of one violation per overlapping zone, and the violations of one machine at the same time under
 * different legal bases share an `incident_id`. Existing rows list their own zone and get an incident each; open
 * duplicates of one machine and rule (the same act seen through two layers) are folded into the earliest one,
 * which lists their zones, and closed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table violations add column incident_id uuid, add column zones jsonb not null default '[]'::jsonb
  `.execute(db);
  await sql`
    update violations
       set incident_id = gen_random_uuid(),
           zones = jsonb_build_array(jsonb_build_object('id', zone_id, 'name', zone_name, 'kind', zone_kind))
  `.execute(db);
  await sql`
    with ranked as (
      select id, zones, first_value(id) over (partition by machine_id, rule_id order by started_at, id) as keep_id
        from violations
       where status = 'open' and zone_kind <> 'integrity'
    ), folded as (
      select keep_id, jsonb_agg(zones -> 0) as zones from ranked where id <> keep_id group by keep_id
    )
    update violations v set zones = v.zones || folded.zones from folded where v.id = folded.keep_id
  `.execute(db);
  await sql`
    with ranked as (
      select id, first_value(id) over (partition by machine_id, rule_id order by started_at, id) as keep_id
        from violations
       where status = 'open' and zone_kind <> 'integrity'
    )
    update violations v
       set status = 'closed', closed_at = v.last_seen_at, incident_id = keep.incident_id, updated_at = now()
      from ranked join violations keep on keep.id = ranked.keep_id
     where v.id = ranked.id and ranked.id <> ranked.keep_id
  `.execute(db);
  await sql`alter table violations alter column incident_id set not null`.execute(db);
  await sql`create index violations_incident_idx on violations(incident_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index violations_incident_idx`.execute(db);
  await sql`alter table violations drop column incident_id, drop column zones`.execute(db);
}
