import { Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table agencies (
      id uuid primary key default gen_random_uuid(),
      code text not null unique,
      name text not null,
      kind text not null,
      department text,
      created_at timestamptz not null default now()
    );

    create table users (
      id uuid primary key default gen_random_uuid(),
      username text not null unique,
      display_name text not null,
      password_hash text not null,
      role text not null check (role in ('admin', 'registry_clerk', 'enforcement_officer', 'agency_integration')),
      agency_id uuid references agencies(id),
      active boolean not null default true,
      created_at timestamptz not null default now(),
      check (role not in ('enforcement_officer', 'agency_integration') or agency_id is not null)
    );

    create table owners (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('person', 'company')),
      document_type text not null check (document_type in ('DNI', 'CE', 'RUC')),
      document_number text not null,
      name text not null,
      email text,
      phone text,
      address text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (document_type, document_number)
    );

    create table registry_counters (
      year integer primary key,
      last_number integer not null
    );

    create table machines (
      id uuid primary key default gen_random_uuid(),
      registry_number text not null unique,
      category text not null,
      make text not null,
      model text not null,
      year integer not null,
      serial_number text not null unique,
      engine_number text,
      reinfo_code text,
      department text not null,
      status text not null default 'pending_installation'
        check (status in ('pending_installation', 'active', 'suspended', 'decommissioned')),
      owner_id uuid not null references owners(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index machines_owner_idx on machines(owner_id);
    create index machines_category_status_idx on machines(category, status);
    create index machines_department_idx on machines(department);

    create table machine_status_changes (
      id uuid primary key default gen_random_uuid(),
      machine_id uuid not null references machines(id),
      from_status text,
      to_status text not null,
      reason text not null,
      changed_by uuid references users(id),
      changed_at timestamptz not null default now()
    );
    create index machine_status_changes_machine_idx on machine_status_changes(machine_id, changed_at);

    create table machine_ownerships (
      id uuid primary key default gen_random_uuid(),
      machine_id uuid not null references machines(id),
      owner_id uuid not null references owners(id),
      started_at timestamptz not null default now(),
      ended_at timestamptz,
      reason text not null,
      recorded_by uuid references users(id)
    );
    create index machine_ownerships_machine_idx on machine_ownerships(machine_id, started_at);
    create unique index machine_ownerships_current_idx on machine_ownerships(machine_id) where ended_at is null;

    create table trackers (
      id uuid primary key default gen_random_uuid(),
      imei text not null unique,
      model text not null,
      firmware text,
      iccid text,
      interval_moving_seconds integer not null check (interval_moving_seconds > 0),
      interval_ignition_off_seconds integer not null check (interval_ignition_off_seconds > 0),
      secret_hash text,
      credentials_issued_at timestamptz,
      credentials_revoked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table tracker_bindings (
      id uuid primary key default gen_random_uuid(),
      tracker_id uuid not null references trackers(id),
      machine_id uuid not null references machines(id),
      bound_at timestamptz not null default now(),
      bound_by uuid references users(id),
      unbound_at timestamptz,
      unbound_by uuid references users(id),
      unbind_reason text
    );
    create unique index tracker_bindings_open_tracker_idx on tracker_bindings(tracker_id) where unbound_at is null;
    create unique index tracker_bindings_open_machine_idx on tracker_bindings(machine_id) where unbound_at is null;
    create index tracker_bindings_machine_idx on tracker_bindings(machine_id, bound_at);

    create table audit_log (
      id uuid primary key default gen_random_uuid(),
      at timestamptz not null default clock_timestamp(),
      actor_id uuid,
      actor_username text not null,
      action text not null,
      entity_type text not null,
      entity_id text not null,
      before jsonb,
      after jsonb
    );
    create index audit_log_entity_idx on audit_log(entity_type, entity_id, at);
    create index audit_log_at_idx on audit_log(at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table audit_log;
    drop table tracker_bindings;
    drop table trackers;
    drop table machine_ownerships;
    drop table machine_status_changes;
    drop table machines;
    drop table registry_counters;
    drop table owners;
    drop table users;
    drop table agencies;
  `.execute(db);
}
