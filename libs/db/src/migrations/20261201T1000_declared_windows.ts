import { Kysely, sql } from 'kysely';

/**
 * Windows a clerk declares for a machine: maintenance, out of service, authorised transport. Integrity alerts
 * inside a window are downgraded (never dropped). A window is cancelled, not deleted, so the record of what
 * was declared stays.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table declared_windows (
      id uuid primary key default gen_random_uuid(),
      machine_id uuid not null references machines(id),
      kind text not null check (kind in ('maintenance', 'out_of_service', 'authorised_transport')),
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      reason text not null,
      reference text,
      created_by uuid references users(id),
      created_at timestamptz not null default now(),
      cancelled_at timestamptz,
      cancelled_by uuid references users(id),
      cancel_reason text,
      check (ends_at > starts_at)
    );
    create index declared_windows_machine_idx on declared_windows(machine_id, starts_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table declared_windows`.execute(db);
}
