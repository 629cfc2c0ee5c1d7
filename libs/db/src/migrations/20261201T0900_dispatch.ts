import { Kysely, sql } from 'kysely';

/**
 * Alert dispatch to enforcement agencies: the officers' workflow on violations (steps, escalation, the
 * department the violation lies in), the evidence hash chain, agencies' subscriptions and delivery channels,
 * per-agency-channel deliveries claimed by dispatcher instances, and the system key that signs exports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table violations
      add column department text,
      add column workflow_status text not null default 'new'
        check (workflow_status in ('new', 'acknowledged', 'dispatched', 'resolved')),
      add column resolution text check (resolution in ('interdiction', 'false_positive', 'duplicate')),
      add column escalation_level integer not null default 0,
      add column escalated_at timestamptz;
    create index violations_unacknowledged_idx on violations(created_at) where workflow_status = 'new';
    create index violations_department_idx on violations(department, zone_kind);

    create table violation_steps (
      id uuid primary key default gen_random_uuid(),
      violation_id uuid not null references violations(id),
      step text not null check (step in ('acknowledged', 'dispatched', 'resolved', 'escalated')),
      at timestamptz not null default clock_timestamp(),
      actor_id uuid references users(id),
      actor_username text not null,
      agency_id uuid references agencies(id),
      notes text,
      reference text,
      resolution text,
      escalation_level integer
    );
    create index violation_steps_violation_idx on violation_steps(violation_id, at);

    create table evidence_links (
      violation_id uuid not null references violations(id),
      seq integer not null,
      kind text not null check (kind in ('violation', 'position', 'step')),
      ref text not null,
      item_digest text not null,
      prev_hash text not null,
      hash text not null,
      sealed_at timestamptz not null,
      primary key (violation_id, seq),
      unique (violation_id, ref)
    );

    alter table agencies
      add column mqtt_secret_hash text,
      add column mqtt_credentials_issued_at timestamptz;

    create table agency_subscriptions (
      id uuid primary key default gen_random_uuid(),
      agency_id uuid not null references agencies(id),
      zone_kinds text[] not null default '{}',
      departments text[] not null default '{}',
      severities text[] not null default '{}',
      level integer not null default 0 check (level >= 0),
      created_at timestamptz not null default now()
    );
    create index agency_subscriptions_agency_idx on agency_subscriptions(agency_id);

    create table agency_channels (
      id uuid primary key default gen_random_uuid(),
      agency_id uuid not null references agencies(id),
      kind text not null check (kind in ('webhook', 'mqtt')),
      url text,
      secret text,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      check (kind <> 'webhook' or (url is not null and secret is not null))
    );
    create index agency_channels_agency_idx on agency_channels(agency_id) where active;

    create table deliveries (
      id uuid primary key default gen_random_uuid(),
      outbox_event_id uuid not null references outbox_events(id),
      agency_id uuid not null references agencies(id),
      channel_id uuid not null references agency_channels(id),
      event_id uuid not null,
      event_type text not null,
      violation_id text not null,
      body text not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default clock_timestamp(),
      window_started_at timestamptz not null default clock_timestamp(),
      lease_owner text,
      lease_until timestamptz,
      last_status integer,
      last_error text,
      created_at timestamptz not null default clock_timestamp(),
      delivered_at timestamptz,
      dead_at timestamptz,
      unique (outbox_event_id, channel_id)
    );
    create index deliveries_due_idx on deliveries(next_attempt_at) where status = 'pending';
    create index deliveries_dead_idx on deliveries(dead_at) where status = 'dead';

    create table signing_keys (
      key_id text primary key,
      algorithm text not null,
      public_key text not null,
      private_key text not null,
      created_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table signing_keys;
    drop table deliveries;
    drop table agency_channels;
    drop table agency_subscriptions;
    alter table agencies drop column mqtt_secret_hash, drop column mqtt_credentials_issued_at;
    drop table evidence_links;
    drop table violation_steps;
    alter table violations
      drop column department, drop column workflow_status, drop column resolution,
      drop column escalation_level, drop column escalated_at;
  `.execute(db);
}
