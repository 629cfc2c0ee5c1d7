import { Kysely, sql } from 'kysely';

/**
 * The zone catalogue, versioned. A zone revision (one zone's attributes and geometry) is stored once, keyed by
 * its content hash; a catalogue version lists which revision of each zone it holds, so versions that share
 * most zones share their geometry too. One version is active at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table zone_revisions (
      revision text primary key,
      zone_id text not null,
      kind text not null,
      name text not null,
      code text,
      authority text not null,
      legal_basis text not null,
      geometry jsonb not null,
      buffer_meters double precision,
      valid_from text,
      valid_to text,
      properties jsonb,
      created_at timestamptz not null default now()
    );
    create index zone_revisions_zone_idx on zone_revisions(zone_id);

    create table zone_catalogue_versions (
      version text primary key,
      parent_version text references zone_catalogue_versions(version),
      description text not null,
      zone_count integer not null,
      report jsonb,
      created_by uuid references users(id),
      created_at timestamptz not null default now(),
      activated_at timestamptz
    );

    create table zone_catalogue_entries (
      version text not null references zone_catalogue_versions(version),
      zone_id text not null,
      revision text not null references zone_revisions(revision),
      layer text not null,
      primary key (version, zone_id)
    );

    create table zone_catalogue_active (
      singleton boolean primary key default true check (singleton),
      version text not null references zone_catalogue_versions(version),
      activated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table zone_catalogue_active;
    drop table zone_catalogue_entries;
    drop table zone_catalogue_versions;
    drop table zone_revisions;
  `.execute(db);
}
