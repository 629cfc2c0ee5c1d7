import { Kysely, sql } from 'kysely';

/**
 * The registry of the broker sessions ingest has used: one row per client id and broker. A persistent session in
 * a shared-subscription group keeps receiving its share of the devices' messages while its client is away, and
 * keeps them until that client id connects again; an instance that restarts with fewer connections or under
 * another INGEST_INSTANCE_ID would leave them there. Ingest records the client ids it consumes with (holding a
 * lease on them while it runs) and drains, then ends, the sessions no live instance holds any more.
 *
 * `lease_owner`/`lease_until`: the process that holds the session now, to consume (`lease_purpose` 'consuming')
 * or to drain it ('draining'); a lease that has expired is held by no one. `drained_at`: when the session was
 * ended after its messages were taken (cleared when an instance consumes with the client id again).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ingest_sessions (
      broker text not null,
      client_id text not null,
      instance_id text not null,
      connection_index integer not null,
      first_used_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      lease_owner text,
      lease_purpose text check (lease_purpose in ('consuming', 'draining')),
      lease_until timestamptz,
      drained_at timestamptz,
      drained_messages integer,
      primary key (broker, client_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ingest_sessions`.execute(db);
}
