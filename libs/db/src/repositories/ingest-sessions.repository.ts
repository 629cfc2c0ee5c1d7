import { Kysely, sql } from 'kysely';
import type { DB, IngestSessionRow } from '../schema';

/** A client id an ingest instance consumes with: connection `connectionIndex` of instance `instanceId`. */
export interface IngestSessionIdentity {
  readonly clientId: string;
  readonly instanceId: string;
  readonly connectionIndex: number;
}

/**
 * The registry of the broker sessions ingest has used (`ingest_sessions`, see its migration). Each session is held
 * by at most one process at a time through a lease: the instance consuming with it renews its lease while it
 * runs and takes it whoever held it; a session no one holds (the lease released or expired) and not yet drained
 * is claimed by one instance to be drained. Times are the database's (`clock_timestamp()`), so the processes'
 * clocks do not matter.
 */
export class IngestSessionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Records the client ids `owner` consumes with on `broker` and holds them for `leaseSeconds` (called again to
   * renew): a consuming instance takes its sessions even from a drain in progress, which then stops before ending
   * them. A session drained before and used again is no longer drained.
   */
  async holdConsuming(
    broker: string,
    owner: string,
    identities: readonly IngestSessionIdentity[],
    leaseSeconds: number,
  ): Promise<void> {
    if (identities.length === 0) return;
    await this.db
      .insertInto('ingest_sessions')
      .values(
        identities.map((identity) => ({
          broker,
          client_id: identity.clientId,
          instance_id: identity.instanceId,
          connection_index: identity.connectionIndex,
          lease_owner: owner,
          lease_purpose: 'consuming' as const,
          lease_until: sql<Date>`clock_timestamp() + make_interval(secs => ${leaseSeconds})`,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['broker', 'client_id']).doUpdateSet({
          instance_id: (eb) => eb.ref('excluded.instance_id'),
          connection_index: (eb) => eb.ref('excluded.connection_index'),
          last_used_at: sql<Date>`clock_timestamp()`,
          lease_owner: (eb) => eb.ref('excluded.lease_owner'),
          lease_purpose: 'consuming',
          lease_until: (eb) => eb.ref('excluded.lease_until'),
          drained_at: null,
          drained_messages: null,
        }),
      )
      .execute();
  }

  /**
   * Claims for `owner`, to drain them, up to `limit` sessions on `broker` that are not drained and that no one
   * holds (never two processes the same session: `for update skip locked` and the lease).
   */
  async claimDrainable(
    broker: string,
    owner: string,
    limit: number,
    leaseSeconds: number,
  ): Promise<IngestSessionRow[]> {
    if (limit <= 0) return [];
    const result = await sql<IngestSessionRow>`
      update ingest_sessions set
        lease_owner = ${owner},
        lease_purpose = 'draining',
        lease_until = clock_timestamp() + make_interval(secs => ${leaseSeconds})
      where (broker, client_id) in (
        select s.broker, s.client_id from ingest_sessions s
        where s.broker = ${broker} and s.drained_at is null
          and (s.lease_until is null or s.lease_until < clock_timestamp())
        order by s.last_used_at, s.client_id
        limit ${limit}
        for update skip locked
      )
      returning *`.execute(this.db);
    return result.rows;
  }

  /** Renews the lease `owner` holds on a session to drain it; false when it has lost it (to a consuming instance). */
  async renewDraining(
    broker: string,
    clientId: string,
    owner: string,
    leaseSeconds: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('ingest_sessions')
      .set({ lease_until: sql<Date>`clock_timestamp() + make_interval(secs => ${leaseSeconds})` })
      .where('broker', '=', broker)
      .where('client_id', '=', clientId)
      .where('lease_owner', '=', owner)
      .where('lease_purpose', '=', 'draining')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records a drained and ended session, unless `owner` lost its lease meanwhile. */
  async markDrained(broker: string, clientId: string, owner: string, messages: number): Promise<boolean> {
    const result = await this.db
      .updateTable('ingest_sessions')
      .set({
        drained_at: sql<Date>`clock_timestamp()`,
        drained_messages: messages,
        lease_owner: null,
        lease_purpose: null,
        lease_until: null,
      })
      .where('broker', '=', broker)
      .where('client_id', '=', clientId)
      .where('lease_owner', '=', owner)
      .where('lease_purpose', '=', 'draining')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Gives up what `owner` holds on `broker` (a stopping instance; a drain that failed), or only `clientId`: the
   * sessions are then free to be drained at once, without waiting for the lease to expire.
   */
  async release(broker: string, owner: string, clientId?: string): Promise<void> {
    let query = this.db
      .updateTable('ingest_sessions')
      .set({ lease_owner: null, lease_purpose: null, lease_until: null })
      .where('broker', '=', broker)
      .where('lease_owner', '=', owner);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    await query.execute();
  }

  /** Those of these client ids another process than `owner` holds now (a lease not yet expired). */
  heldByOthers(broker: string, owner: string, clientIds: readonly string[]): Promise<IngestSessionRow[]> {
    if (clientIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('ingest_sessions')
      .selectAll()
      .where('broker', '=', broker)
      .where('client_id', 'in', [...clientIds])
      .where('lease_owner', '<>', owner)
      .where('lease_until', '>', sql<Date>`clock_timestamp()`)
      .orderBy('client_id')
      .execute();
  }

  /** Every session recorded on `broker`, by client id. */
  list(broker: string): Promise<IngestSessionRow[]> {
    return this.db
      .selectFrom('ingest_sessions')
      .selectAll()
      .where('broker', '=', broker)
      .orderBy('client_id')
      .execute();
  }
}
