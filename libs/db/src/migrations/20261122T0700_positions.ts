import { Kysely, sql } from 'kysely';

/**
 * Telemetry as received: every device message once (the bytes, for evidence), and every fix once, in a table
 * partitioned by fix time. The key (tracker, fix time) includes the partition column and makes QoS 1
 * redeliveries and firmware resends idempotent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table device_messages (
      id uuid primary key default gen_random_uuid(),
      imei text not null,
      topic text not null,
      payload bytea not null,
      payload_sha256 text not null,
      received_at timestamptz not null,
      unique (imei, payload_sha256)
    );
    create index device_messages_received_idx on device_messages(imei, received_at);

    create table positions (
      imei text not null,
      fix_time timestamptz not null,
      received_at timestamptz not null,
      lat double precision not null,
      lon double precision not null,
      h3_cell text,
      speed_kmh real,
      heading_deg real,
      altitude_m real,
      hdop real,
      pdop real,
      satellites smallint,
      ignition boolean,
      external_voltage_v real,
      battery_v real,
      events text[] not null default '{}',
      flags text[] not null default '{}',
      trusted boolean not null,
      sequence bigint,
      source text not null,
      message_id uuid not null,
      message_index integer not null,
      primary key (imei, fix_time)
    ) partition by range (fix_time);
    create table positions_default partition of positions default;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table positions;
    drop table device_messages;
  `.execute(db);
}
