import { Kysely, sql } from 'kysely';

/**
 * Evidence keys out of the database, versioned canonical JSON, and anchors.
 *
 * - `signing_keys` keeps public keys only: the private key that signed exports so far was readable by anyone with
 *   the database, the same people who could rewrite the chains it vouches for. It is retired (`retired_at`) and its
 *   private half dropped; its public key stays published, so the exports it signed still verify. From now on the key
 *   that signs comes from outside the database (EVIDENCE_SIGNING_KEY, its file, or in embedded mode a key file
 *   under DATA_DIR/secrets) and the apps publish its public key here.
 * - `evidence_links.canonicalization`: the links sealed so far were hashed with the product's own canonical JSON
 *   (`centinela-1`); new ones with RFC 8785 (`rfc8785`).
 * - `evidence_anchors`: the signed statements of the chains' heads sent to the agencies (`evidence.anchor`), and
 *   `evidence_anchored_heads`, where each chain stood at its latest anchor.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table signing_keys add column retired_at timestamptz;
    update signing_keys set retired_at = now() where private_key is not null;
    alter table signing_keys drop column private_key;

    alter table evidence_links add column canonicalization text not null default 'centinela-1';
    alter table evidence_links alter column canonicalization drop default;

    create table evidence_anchors (
      seq bigint primary key,
      anchored_at timestamptz not null,
      previous_hash text not null,
      hash text not null unique,
      key_id text not null references signing_keys(key_id),
      signature text not null,
      anchor jsonb not null
    );

    create table evidence_anchored_heads (
      violation_id uuid primary key references violations(id),
      length integer not null,
      head text not null,
      anchor_seq bigint not null references evidence_anchors(seq)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table evidence_anchored_heads;
    drop table evidence_anchors;
    alter table evidence_links drop column canonicalization;
    alter table signing_keys add column private_key text;
    alter table signing_keys drop column retired_at;
  `.execute(db);
}
