import { Kysely, sql } from 'kysely';

/**
 * Zone import jobs (a layer is checked and repaired on a worker thread, off the request; the API answers 202 and
 * the job is polled) and two-person approvals (a false-positive resolution, a catalogue activation: one person
 * proposes, another of the right role confirms).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table zone_import_jobs (
      id uuid primary key default gen_random_uuid(),
      layer text not null,
      activate boolean not null,
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed')),
      stage text not null default 'queued',
      progress jsonb,
      result jsonb,
      error text,
      timeout_seconds integer not null,
      created_by uuid,
      created_by_username text not null,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index zone_import_jobs_created_idx on zone_import_jobs(created_at desc)`.execute(db);
  await sql`
    create table approval_proposals (
      id uuid primary key default gen_random_uuid(),
      kind text not null,
      entity_id text not null,
      payload jsonb not null default '{}'::jsonb,
      reason text not null,
      status text not null default 'pending' check (status in ('pending', 'confirmed', 'rejected', 'superseded')),
      proposed_by uuid,
      proposed_by_username text not null,
      proposer_agency_id uuid,
      proposed_at timestamptz not null default now(),
      decided_by uuid,
      decided_by_username text,
      decided_at timestamptz,
      decision_reason text
    )
  `.execute(db);
  await sql`
    create unique index approval_proposals_pending_idx on approval_proposals(kind, entity_id) where status = 'pending'
  `.execute(db);
  await sql`create index approval_proposals_kind_idx on approval_proposals(kind, status, proposed_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table approval_proposals`.execute(db);
  await sql`drop table zone_import_jobs`.execute(db);
}
