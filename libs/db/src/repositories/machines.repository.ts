import { Kysely } from 'kysely';
import type {
  DB,
  MachineOwnershipRow,
  MachineRow,
  MachineStatusChangeRow,
  MachineUpdate,
  NewMachine,
} from '../schema';

export interface MachineQuery {
  readonly id?: string | undefined;
  readonly registryNumber?: string | undefined;
  readonly imei?: string | undefined;
  readonly ownerDocument?: string | undefined;
  readonly category?: string | undefined;
  readonly status?: string | undefined;
  readonly department?: string | undefined;
  /** A declared use, or null for machines whose use is unknown. */
  readonly declaredUse?: string | null | undefined;
  readonly limit: number;
  readonly offset: number;
}

export interface MachineWithLinks extends MachineRow {
  owner_document_type: string;
  owner_document_number: string;
  owner_name: string;
  tracker_id: string | null;
  tracker_imei: string | null;
}

export class MachinesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Next number in the year's sequence; the row lock serialises concurrent enrolments. */
  async nextRegistrySequence(year: number): Promise<number> {
    const row = await this.db
      .insertInto('registry_counters')
      .values({ year, last_number: 1 })
      .onConflict((oc) =>
        oc.column('year').doUpdateSet((eb) => ({ last_number: eb('registry_counters.last_number', '+', 1) })),
      )
      .returning('last_number')
      .executeTakeFirstOrThrow();
    return row.last_number;
  }

  create(machine: NewMachine): Promise<MachineRow> {
    return this.db.insertInto('machines').values(machine).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<MachineRow | undefined> {
    return this.db.selectFrom('machines').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByIdForUpdate(id: string): Promise<MachineRow | undefined> {
    return this.db.selectFrom('machines').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  findBySerialNumber(serialNumber: string): Promise<MachineRow | undefined> {
    return this.db
      .selectFrom('machines')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .executeTakeFirst();
  }

  update(id: string, changes: MachineUpdate): Promise<MachineRow | undefined> {
    return this.db
      .updateTable('machines')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async recordStatusChange(change: {
    machineId: string;
    fromStatus: string | null;
    toStatus: string;
    reason: string;
    changedBy: string | null;
  }): Promise<void> {
    await this.db
      .insertInto('machine_status_changes')
      .values({
        machine_id: change.machineId,
        from_status: change.fromStatus,
        to_status: change.toStatus,
        reason: change.reason,
        changed_by: change.changedBy,
      })
      .execute();
  }

  statusHistory(machineId: string): Promise<MachineStatusChangeRow[]> {
    return this.db
      .selectFrom('machine_status_changes')
      .selectAll()
      .where('machine_id', '=', machineId)
      .orderBy('changed_at')
      .orderBy('id')
      .execute();
  }

  /** Closes the current ownership (if any) and opens a new one at the same instant. */
  async recordOwnership(change: {
    machineId: string;
    ownerId: string;
    reason: string;
    recordedBy: string | null;
    at: Date;
  }): Promise<void> {
    await this.db
      .updateTable('machine_ownerships')
      .set({ ended_at: change.at })
      .where('machine_id', '=', change.machineId)
      .where('ended_at', 'is', null)
      .execute();
    await this.db
      .insertInto('machine_ownerships')
      .values({
        machine_id: change.machineId,
        owner_id: change.ownerId,
        started_at: change.at,
        reason: change.reason,
        recorded_by: change.recordedBy,
      })
      .execute();
  }

  ownershipHistory(
    machineId: string,
  ): Promise<
    Array<
      MachineOwnershipRow & { owner_name: string; owner_document_type: string; owner_document_number: string }
    >
  > {
    return this.db
      .selectFrom('machine_ownerships as mo')
      .innerJoin('owners as o', 'o.id', 'mo.owner_id')
      .selectAll('mo')
      .select([
        'o.name as owner_name',
        'o.document_type as owner_document_type',
        'o.document_number as owner_document_number',
      ])
      .where('mo.machine_id', '=', machineId)
      .orderBy('mo.started_at')
      .execute();
  }

  async search(query: MachineQuery): Promise<{ items: MachineWithLinks[]; total: number }> {
    const base = this.db
      .selectFrom('machines as m')
      .innerJoin('owners as o', 'o.id', 'm.owner_id')
      .leftJoin('tracker_bindings as b', (join) =>
        join.onRef('b.machine_id', '=', 'm.id').on('b.unbound_at', 'is', null),
      )
      .leftJoin('trackers as t', 't.id', 'b.tracker_id')
      .$if(query.id !== undefined, (qb) => qb.where('m.id', '=', query.id!))
      .$if(query.registryNumber !== undefined, (qb) =>
        qb.where('m.registry_number', '=', query.registryNumber!),
      )
      .$if(query.imei !== undefined, (qb) => qb.where('t.imei', '=', query.imei!))
      .$if(query.ownerDocument !== undefined, (qb) =>
        qb.where('o.document_number', '=', query.ownerDocument!),
      )
      .$if(query.category !== undefined, (qb) => qb.where('m.category', '=', query.category!))
      .$if(query.status !== undefined, (qb) => qb.where('m.status', '=', query.status!))
      .$if(query.department !== undefined, (qb) => qb.where('m.department', '=', query.department!))
      .$if(query.declaredUse === null, (qb) => qb.where('m.declared_use', 'is', null))
      .$if(typeof query.declaredUse === 'string', (qb) =>
        qb.where('m.declared_use', '=', query.declaredUse!),
      );
    const [items, count] = await Promise.all([
      base
        .selectAll('m')
        .select([
          'o.document_type as owner_document_type',
          'o.document_number as owner_document_number',
          'o.name as owner_name',
          't.id as tracker_id',
          't.imei as tracker_imei',
        ])
        .orderBy('m.registry_number')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }
}
