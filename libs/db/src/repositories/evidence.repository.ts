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

export interface SigningKeyRow {
  readonly key_id: string;
  readonly public_key: string;
  readonly private_key: string;
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
    /** Only the fixes after this one in (imei, fix time) order: the next page. */
    after?: { imei: string; fix_time: Date },
  ): Promise<Array<{ imei: string; fix_time: Date; lat: number; lon: number }>> {
    return this.db
      .selectFrom('positions')
      .select(['imei', 'fix_time', 'lat', 'lon'])
      .where('fix_time', '>=', from)
      .where('fix_time', '<', to)
      .$if(after !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('imei', '>', after!.imei),
            eb.and([eb('imei', '=', after!.imei), eb('fix_time', '>', after!.fix_time)]),
          ]),
        ),
      )
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

  signingKey(): Promise<SigningKeyRow | undefined> {
    return this.db
      .selectFrom('signing_keys')
      .select(['key_id', 'public_key', 'private_key'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Keeps the first key created when two instances create one at once. */
  async addSigningKey(key: { keyId: string; publicKeyPem: string; privateKeyPem: string }): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext('centinela.signing_keys'))`.execute(this.db);
    const existing = await this.signingKey();
    if (existing) return;
    await this.db
      .insertInto('signing_keys')
      .values({
        key_id: key.keyId,
        algorithm: 'ed25519',
        public_key: key.publicKeyPem,
        private_key: key.privateKeyPem,
      })
      .execute();
  }
}
