import { Kysely, sql } from 'kysely';
import type { DB, EvidenceLinkRow } from '../schema';

export interface NewEvidenceLink {
  readonly violationId: string;
  readonly seq: number;
  readonly kind: string;
  readonly ref: string;
  readonly itemDigest: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly sealedAt: Date;
  readonly canonicalization: string;
}

/** A stored fix with the raw message it came in, as evidence shows it. */
export interface StoredFix {
  readonly imei: string;
  readonly fix_time: Date;
  readonly received_at: Date;
  readonly lat: number;
  readonly lon: number;
  readonly speed_kmh: number | null;
  readonly heading_deg: number | null;
  readonly hdop: number | null;
  readonly satellites: number | null;
  readonly ignition: boolean | null;
  readonly flags: string[];
  readonly trusted: boolean;
  readonly source: string;
  readonly message_id: string;
  readonly message_index: number;
  readonly topic: string | null;
  readonly payload: Buffer | null;
}

/** A published public key of the system (the private key is never in the database). */
export interface SigningKeyRow {
  readonly key_id: string;
  readonly algorithm: string;
  readonly public_key: string;
  readonly created_at: Date;
  readonly retired_at: Date | null;
}

export interface ChainHead {
  readonly violation_id: string;
  readonly length: number;
  readonly head: string;
}

export interface AnchorRow {
  readonly seq: number;
  readonly anchored_at: Date;
  readonly previous_hash: string;
  readonly hash: string;
  readonly key_id: string;
  readonly signature: string;
  readonly anchor: unknown;
}

/** The evidence hash chain of violations, the stored fixes it seals, and the system key that signs exports. */
export class EvidenceRepository {
  constructor(private readonly db: Kysely<DB>) {}

  links(violationId: string): Promise<EvidenceLinkRow[]> {
    return this.db
      .selectFrom('evidence_links')
      .selectAll()
      .where('violation_id', '=', violationId)
      .orderBy('seq')
      .execute();
  }

  async append(links: readonly NewEvidenceLink[]): Promise<void> {
    if (links.length === 0) return;
    await this.db
      .insertInto('evidence_links')
      .values(
        links.map((l) => ({
          violation_id: l.violationId,
          seq: l.seq,
          kind: l.kind,
          ref: l.ref,
          item_digest: l.itemDigest,
          prev_hash: l.prevHash,
          hash: l.hash,
          sealed_at: l.sealedAt,
          canonicalization: l.canonicalization,
        })),
      )
      .execute();
  }

  private fixes() {
    return this.db
      .selectFrom('positions as p')
      .leftJoin('device_messages as d', 'd.id', 'p.message_id')
      .select([
        'p.imei',
        'p.fix_time',
        'p.received_at',
        'p.lat',
        'p.lon',
        'p.speed_kmh',
        'p.heading_deg',
        'p.hdop',
        'p.satellites',
        'p.ignition',
        'p.flags',
        'p.trusted',
        'p.source',
        'p.message_id',
        'p.message_index',
        'd.topic',
        'd.payload',
      ]);
  }

  /** The tracker's stored fixes from `from` through `to` (inclusive), in time order, with their raw messages. */
  fixesBetween(imei: string, from: Date, to: Date): Promise<StoredFix[]> {
    return this.fixes()
      .where('p.imei', '=', imei)
      .where('p.fix_time', '>=', from)
      .where('p.fix_time', '<=', to)
      .orderBy('p.fix_time')
      .execute();
  }

  fixesAt(imei: string, times: readonly Date[]): Promise<StoredFix[]> {
    if (times.length === 0) return Promise.resolve([]);
    return this.fixes()
      .where('p.imei', '=', imei)
      .where('p.fix_time', 'in', [...times])
      .orderBy('p.fix_time')
      .execute();
  }

  /** Trackers with a fix inside the box during [from, to), with those fixes (exact shape tested by the caller). */
  fixesInBox(
    box: { minLat: number; maxLat: number; minLon: number; maxLon: number },
    from: Date,
    to: Date,
    limit: number,
  ): Promise<Array<{ imei: string; fix_time: Date; lat: number; lon: number }>> {
    return this.db
      .selectFrom('positions')
      .select(['imei', 'fix_time', 'lat', 'lon'])
      .where('fix_time', '>=', from)
      .where('fix_time', '<', to)
      .where('lat', '>=', box.minLat)
      .where('lat', '<=', box.maxLat)
      .where('lon', '>=', box.minLon)
      .where('lon', '<=', box.maxLon)
      .orderBy('imei')
      .orderBy('fix_time')
      .limit(limit)
      .execute();
  }

  /** The machines that trackers were bound to at a time (bindings open then). */
  machinesOfTrackers(imeis: readonly string[]) {
    if (imeis.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('tracker_bindings as b')
      .innerJoin('trackers as t', 't.id', 'b.tracker_id')
      .innerJoin('machines as m', 'm.id', 'b.machine_id')
      .select([
        't.imei',
        'b.bound_at',
        'b.unbound_at',
        'm.id as machine_id',
        'm.registry_number',
        'm.category',
        'm.department',
      ])
      .where('t.imei', 'in', [...imeis])
      .execute();
  }

  /** Every public key that signed or signs exports and anchors, newest first. */
  signingKeys(): Promise<SigningKeyRow[]> {
    return this.db
      .selectFrom('signing_keys')
      .select(['key_id', 'algorithm', 'public_key', 'created_at', 'retired_at'])
      .orderBy('created_at', 'desc')
      .execute();
  }

  signingKey(keyId: string): Promise<SigningKeyRow | undefined> {
    return this.db
      .selectFrom('signing_keys')
      .select(['key_id', 'algorithm', 'public_key', 'created_at', 'retired_at'])
      .where('key_id', '=', keyId)
      .executeTakeFirst();
  }

  /** Publishes the public key of the key that signs now (once; a key put back in use is no longer retired). */
  async publishSigningKey(key: { keyId: string; publicKeyPem: string }): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({ key_id: key.keyId, algorithm: 'ed25519', public_key: key.publicKeyPem, retired_at: null })
      .onConflict((oc) => oc.column('key_id').doUpdateSet({ retired_at: null }))
      .execute();
  }

  /** The last link of every chain whose head moved since it was last anchored. */
  async movedHeads(): Promise<{ moved: ChainHead[]; chains: number }> {
    const heads = await sql<ChainHead & { anchored_length: number | null; anchored_head: string | null }>`
      select l.violation_id, l.seq as length, l.hash as head,
             a.length as anchored_length, a.head as anchored_head
      from evidence_links l
      join (select violation_id, max(seq) as seq from evidence_links group by violation_id) m
        on m.violation_id = l.violation_id and m.seq = l.seq
      left join evidence_anchored_heads a on a.violation_id = l.violation_id
      order by l.violation_id`.execute(this.db);
    const moved = heads.rows
      .filter((r) => r.anchored_head !== r.head || Number(r.anchored_length) !== Number(r.length))
      .map((r) => ({ violation_id: String(r.violation_id), length: Number(r.length), head: r.head }));
    return { moved, chains: heads.rows.length };
  }

  lastAnchor(): Promise<AnchorRow | undefined> {
    return this.db
      .selectFrom('evidence_anchors')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  anchors(afterSeq: number, limit: number): Promise<AnchorRow[]> {
    return this.db
      .selectFrom('evidence_anchors')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  /** Serialises anchoring across dispatcher instances, for the caller's transaction. */
  async lockAnchoring(): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext('centinela.evidence_anchors'))`.execute(this.db);
  }

  /** Records an anchor and where each chain it names stood. */
  async addAnchor(row: AnchorRow, heads: readonly ChainHead[]): Promise<void> {
    await this.db
      .insertInto('evidence_anchors')
      .values({ ...row, anchor: JSON.stringify(row.anchor) })
      .execute();
    for (let i = 0; i < heads.length; i += 500) {
      await this.db
        .insertInto('evidence_anchored_heads')
        .values(
          heads.slice(i, i + 500).map((h) => ({
            violation_id: h.violation_id,
            length: h.length,
            head: h.head,
            anchor_seq: row.seq,
          })),
        )
        .onConflict((oc) =>
          oc.column('violation_id').doUpdateSet((eb) => ({
            length: eb.ref('excluded.length'),
            head: eb.ref('excluded.head'),
            anchor_seq: eb.ref('excluded.anchor_seq'),
          })),
        )
        .execute();
    }
  }
}
