import { Kysely } from 'kysely';
import { isDeclaredUse, type DeclaredUse } from '@app/registry';
import type { DB, NewTracker, TrackerBindingRow, TrackerRow, TrackerUpdate } from '../schema';

export interface TrackerQuery {
  readonly imei?: string | undefined;
  readonly model?: string | undefined;
  readonly bound?: boolean | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** What ingest needs of a publishing tracker. */
export interface IngestTarget {
  readonly machine: {
    readonly id: string;
    readonly category: string;
    /** Null: the machine was enrolled before uses were declared; its use is unknown. */
    readonly declaredUse: DeclaredUse | null;
  } | null;
  readonly intervalMovingSeconds: number;
  readonly intervalIgnitionOffSeconds: number;
  /** When the tracker was bound to its machine (epoch ms); absent when it is bound to none. */
  readonly boundAt?: number;
}

export type BindingWithNames = TrackerBindingRow & { imei: string; registry_number: string };

export class TrackersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(tracker: NewTracker): Promise<TrackerRow> {
    return this.db.insertInto('trackers').values(tracker).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<TrackerRow | undefined> {
    return this.db.selectFrom('trackers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByImei(imei: string): Promise<TrackerRow | undefined> {
    return this.db.selectFrom('trackers').selectAll().where('imei', '=', imei).executeTakeFirst();
  }

  update(id: string, changes: TrackerUpdate): Promise<TrackerRow | undefined> {
    return this.db
      .updateTable('trackers')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async search(
    query: TrackerQuery,
  ): Promise<{ items: Array<TrackerRow & { machine_id: string | null }>; total: number }> {
    const base = this.db
      .selectFrom('trackers as t')
      .leftJoin('tracker_bindings as b', (join) =>
        join.onRef('b.tracker_id', '=', 't.id').on('b.unbound_at', 'is', null),
      )
      .$if(query.imei !== undefined, (qb) => qb.where('t.imei', '=', query.imei!))
      .$if(query.model !== undefined, (qb) => qb.where('t.model', '=', query.model!))
      .$if(query.bound === true, (qb) => qb.where('b.id', 'is not', null))
      .$if(query.bound === false, (qb) => qb.where('b.id', 'is', null));
    const [items, count] = await Promise.all([
      base
        .selectAll('t')
        .select('b.machine_id')
        .orderBy('t.imei')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  /** What device authentication needs: the stored secret hash and the status of the bound machine. */
  async credentialRecord(
    imei: string,
  ): Promise<{ imei: string; secretHash: string | null; machineStatus: string | null } | undefined> {
    const row = await this.db
      .selectFrom('trackers as t')
      .leftJoin('tracker_bindings as b', (join) =>
        join.onRef('b.tracker_id', '=', 't.id').on('b.unbound_at', 'is', null),
      )
      .leftJoin('machines as m', 'm.id', 'b.machine_id')
      .select(['t.imei', 't.secret_hash', 'm.status'])
      .where('t.imei', '=', imei)
      .executeTakeFirst();
    return row ? { imei: row.imei, secretHash: row.secret_hash, machineStatus: row.status } : undefined;
  }

  /**
   * The registered trackers among `imeis`, in one query: each with the machine it is bound to (null when
   * unbound) and its configured reporting intervals; trackers the registry does not know are absent from the map.
   */
  /** The IMEIs of the trackers bound to a machine now. */
  async boundImeis(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('trackers as t')
      .innerJoin('tracker_bindings as b', (join) =>
        join.onRef('b.tracker_id', '=', 't.id').on('b.unbound_at', 'is', null),
      )
      .select('t.imei')
      .orderBy('t.imei')
      .execute();
    return rows.map((row) => row.imei);
  }

  async ingestTargets(imeis: readonly string[]): Promise<Map<string, IngestTarget>> {
    const targets = new Map<string, IngestTarget>();
    if (imeis.length === 0) return targets;
    const rows = await this.db
      .selectFrom('trackers as t')
      .leftJoin('tracker_bindings as b', (join) =>
        join.onRef('b.tracker_id', '=', 't.id').on('b.unbound_at', 'is', null),
      )
      .leftJoin('machines as m', 'm.id', 'b.machine_id')
      .select([
        't.imei',
        't.interval_moving_seconds',
        't.interval_ignition_off_seconds',
        'm.id as machine_id',
        'm.category',
        'm.declared_use',
        'b.bound_at',
      ])
      .where('t.imei', 'in', [...imeis])
      .execute();
    for (const row of rows)
      targets.set(row.imei, {
        machine:
          row.machine_id && row.category
            ? {
                id: row.machine_id,
                category: row.category,
                declaredUse: isDeclaredUse(row.declared_use) ? row.declared_use : null,
              }
            : null,
        intervalMovingSeconds: row.interval_moving_seconds,
        intervalIgnitionOffSeconds: row.interval_ignition_off_seconds,
        ...(row.machine_id && row.bound_at && { boundAt: new Date(row.bound_at).getTime() }),
      });
    return targets;
  }

  openBindingOfTracker(trackerId: string): Promise<TrackerBindingRow | undefined> {
    return this.db
      .selectFrom('tracker_bindings')
      .selectAll()
      .where('tracker_id', '=', trackerId)
      .where('unbound_at', 'is', null)
      .executeTakeFirst();
  }

  openBindingOfMachine(machineId: string): Promise<TrackerBindingRow | undefined> {
    return this.db
      .selectFrom('tracker_bindings')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('unbound_at', 'is', null)
      .executeTakeFirst();
  }

  bind(trackerId: string, machineId: string, boundBy: string | null, at: Date): Promise<TrackerBindingRow> {
    return this.db
      .insertInto('tracker_bindings')
      .values({ tracker_id: trackerId, machine_id: machineId, bound_by: boundBy, bound_at: at })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  unbind(
    bindingId: string,
    unboundBy: string | null,
    reason: string,
    at: Date,
  ): Promise<TrackerBindingRow | undefined> {
    return this.db
      .updateTable('tracker_bindings')
      .set({ unbound_at: at, unbound_by: unboundBy, unbind_reason: reason })
      .where('id', '=', bindingId)
      .returningAll()
      .executeTakeFirst();
  }

  bindingsOfMachine(machineId: string): Promise<BindingWithNames[]> {
    return this.bindings().where('b.machine_id', '=', machineId).execute();
  }

  bindingsOfTracker(trackerId: string): Promise<BindingWithNames[]> {
    return this.bindings().where('b.tracker_id', '=', trackerId).execute();
  }

  private bindings() {
    return this.db
      .selectFrom('tracker_bindings as b')
      .innerJoin('trackers as t', 't.id', 'b.tracker_id')
      .innerJoin('machines as m', 'm.id', 'b.machine_id')
      .selectAll('b')
      .select(['t.imei', 'm.registry_number'])
      .orderBy('b.bound_at')
      .orderBy('b.id');
  }
}
