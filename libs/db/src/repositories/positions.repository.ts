import { createHash } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { DB, NewPosition, PositionRow } from '../schema';

export interface StoredMessage {
  readonly id: string;
  /** False when the same bytes from the same device were stored before (a redelivery). */
  readonly created: boolean;
}

/** One device message to store once, as `saveMessages` takes it. */
export interface NewDeviceMessage {
  readonly imei: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
}

/** Which stored fixes of a tracker to read back to rebuild its live state. */
export interface ReplayRequest {
  readonly imei: string;
  /** Fixes that arrived after this moment. */
  readonly receivedAfter: Date;
  /** Fixes taken at or after this moment (older ones are beyond what the rules keep). */
  readonly takenFrom: Date;
}

const INSERT_CHUNK = 1000;

export class PositionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Stores many device messages at once, each once per device and content; returns the id of every message, in
   * the order given, and whether it was new.
   */
  async saveMessages(messages: readonly NewDeviceMessage[]): Promise<StoredMessage[]> {
    const rows = messages.map((m) => ({
      imei: m.imei,
      topic: m.topic,
      payload: m.payload,
      payload_sha256: createHash('sha256').update(m.payload).digest('hex'),
      received_at: m.receivedAt,
    }));
    const ids = new Map<string, string>();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const inserted = await this.db
        .insertInto('device_messages')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['imei', 'payload_sha256']).doNothing())
        .returning(['id', 'imei', 'payload_sha256'])
        .execute();
      for (const row of inserted) ids.set(`${row.imei}|${row.payload_sha256}`, row.id);
    }
    const created = new Set(ids.values());
    const missing = rows.filter((r) => !ids.has(`${r.imei}|${r.payload_sha256}`));
    if (missing.length > 0) {
      const existing = await this.db
        .selectFrom('device_messages')
        .select(['id', 'imei', 'payload_sha256'])
        .where((eb) =>
          eb.or(
            missing.map((r) =>
              eb.and([eb('imei', '=', r.imei), eb('payload_sha256', '=', r.payload_sha256)]),
            ),
          ),
        )
        .execute();
      for (const row of existing) ids.set(`${row.imei}|${row.payload_sha256}`, row.id);
    }
    return rows.map((r) => {
      const id = ids.get(`${r.imei}|${r.payload_sha256}`);
      if (!id) throw new Error(`device message of ${r.imei} was neither stored nor found`);
      return { id, created: created.has(id) };
    });
  }

  /**
   * The trusted fixes to fold into rebuilt live states, per tracker in the order ingest first saw them (arrival,
   * then fix time).
   */
  replayable(requests: readonly ReplayRequest[]): Promise<PositionRow[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('positions')
      .selectAll()
      .where('trusted', '=', true)
      .where((eb) =>
        eb.or(
          requests.map((r) =>
            eb.and([
              eb('imei', '=', r.imei),
              eb('fix_time', '>=', r.takenFrom),
              eb('received_at', '>', r.receivedAfter),
            ]),
          ),
        ),
      )
      .orderBy('imei')
      .orderBy('received_at')
      .orderBy('fix_time')
      .execute();
  }

  /** Stores a device message once per device and content. */
  async saveMessage(imei: string, topic: string, payload: Buffer, receivedAt: Date): Promise<StoredMessage> {
    const sha = createHash('sha256').update(payload).digest('hex');
    const inserted = await this.db
      .insertInto('device_messages')
      .values({ imei, topic, payload, payload_sha256: sha, received_at: receivedAt })
      .onConflict((oc) => oc.columns(['imei', 'payload_sha256']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, created: true };
    const existing = await this.db
      .selectFrom('device_messages')
      .select('id')
      .where('imei', '=', imei)
      .where('payload_sha256', '=', sha)
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }

  /** Inserts fixes not stored yet (same tracker and fix time); returns how many were new. */
  async insertPositions(rows: readonly NewPosition[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const result = await this.db
        .insertInto('positions')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['imei', 'fix_time']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }

  /** The time of each tracker's newest stored fix; trackers without any are absent. */
  async newestFixTimes(imeis: readonly string[]): Promise<Map<string, Date>> {
    const newest = new Map<string, Date>();
    if (imeis.length === 0) return newest;
    const rows = await this.db
      .selectFrom('positions')
      .select(['imei', (eb) => eb.fn.max('fix_time').as('newest')])
      .where('imei', 'in', [...imeis])
      .groupBy('imei')
      .execute();
    for (const row of rows) newest.set(row.imei, new Date(row.newest));
    return newest;
  }

  track(imei: string, from: Date, to: Date): Promise<PositionRow[]> {
    return this.db
      .selectFrom('positions')
      .selectAll()
      .where('imei', '=', imei)
      .where('fix_time', '>=', from)
      .where('fix_time', '<', to)
      .orderBy('fix_time')
      .execute();
  }

  async messagePayload(id: string): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('device_messages')
      .select('payload')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? Buffer.from(row.payload) : undefined;
  }

  /**
   * Creates the monthly partitions from `from`'s month through `monthsAhead` months later, so fixes land in a
   * partition of their own month; fixes outside (device clocks far off) go to the default partition. Run it in
   * a transaction: an advisory lock keeps concurrent ingest instances from racing.
   */
  async ensureMonthlyPartitions(from: Date, monthsAhead: number): Promise<string[]> {
    const created: string[] = [];
    await sql`select pg_advisory_xact_lock(hashtext('centinela.positions_partitions'))`.execute(this.db);
    for (let i = 0; i <= monthsAhead; i++) {
      const start = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + i, 1));
      const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
      const name = `positions_${start.getUTCFullYear()}_${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
      const exists = await sql<{ n: number }>`select 1 as n from pg_class where relname = ${name}`.execute(
        this.db,
      );
      if (exists.rows.length > 0) continue;
      // Rows of this month already in the default partition must move before the partition can exist.
      await sql`lock table positions_default in access exclusive mode`.execute(this.db);
      await sql.raw(`create table ${name} (like positions including defaults)`).execute(this.db);
      await sql
        .raw(
          `with moved as (delete from positions_default where fix_time >= '${start.toISOString()}' and fix_time < '${end.toISOString()}' returning *) insert into ${name} select * from moved`,
        )
        .execute(this.db);
      await sql
        .raw(
          `alter table positions attach partition ${name} for values from ('${start.toISOString()}') to ('${end.toISOString()}')`,
        )
        .execute(this.db);
      created.push(name);
    }
    return created;
  }
}
