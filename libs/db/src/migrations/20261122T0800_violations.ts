import { Kysely, sql } from 'kysely';

/**
 * Violations opened, updated and closed by ingest from rule verdicts, and the outbox of their events, written
 * in the same transaction as the positions that caused them. One open violation per machine × zone × rule.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table violations (
      id uuid primary key default gen_random_uuid(),
      machine_id uuid not null references machines(id),
      imei text not null,
      zone_id text not null,
      zone_name text not null,
      zone_kind text not null,
      rule_id text not null,
      severity text not null check (severity in ('violation', 'warning')),
      legal_basis text not null,
      description text not null,
      catalogue_version text not null,
      episode_id text not null,
      status text not null default 'open' check (status in ('open', 'closed', 'retracted')),
      started_at timestamptz not null,
      confirmed_at timestamptz not null,
      last_seen_at timestamptz not null,
      closed_at timestamptz,
      late boolean not null,
      delay_ms bigint not null,
      confirming_fixes jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index violations_open_idx on violations(machine_id, zone_id, rule_id) where status = 'open';
    create unique index violations_episode_idx on violations(imei, episode_id, rule_id);
    create index violations_status_idx on violations(status, started_at);

    create table outbox_events (
      id uuid primary key default gen_random_uuid(),
      type text not null,
      aggregate_type text not null,
      aggregate_id text not null,
      payload jsonb not null,
      created_at timestamptz not null default clock_timestamp(),
      published_at timestamptz
    );
    create index outbox_events_unpublished_idx on outbox_events(created_at) where published_at is null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table outbox_events;
    drop table violations;
  `.execute(db);
}
