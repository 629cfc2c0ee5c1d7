import { Kysely, sql } from 'kysely';
import type { DB, ViolationRow, ViolationStepRow } from '../schema';

export interface ViolationQuery {
  readonly status?: string | undefined;
  readonly workflowStatus?: string | undefined;
  readonly zoneKind?: string | undefined;
  readonly department?: string | undefined;
  readonly machineId?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** Whose view: every violation (admins, clerks), or those some subscription of the agency covers. */
export type ViolationScope = { readonly all: true } | { readonly agencyId: string };

export interface NewStep {
  readonly violationId: string;
  readonly step: 'acknowledged' | 'dispatched' | 'resolved' | 'escalated';
  readonly actorId: string | null;
  readonly actorUsername: string;
  readonly agencyId: string | null;
  readonly notes: string | null;
  readonly reference: string | null;
  readonly resolution: string | null;
  readonly escalationLevel: number | null;
}

/** The machine, its current owner and the tracker of a violation. */
export interface ViolationParties {
  readonly machineId: string;
  readonly registryNumber: string;
  readonly category: string;
  readonly make: string;
  readonly model: string;
  readonly serialNumber: string;
  readonly machineDepartment: string;
  readonly ownerId: string;
  readonly ownerName: string;
  readonly ownerDocumentType: string;
  readonly ownerDocumentNumber: string;
  readonly trackerModel: string | null;
}

/** What an alert says of its machine and owner. */
export interface AlertParties {
  readonly machineId: string;
  readonly registryNumber: string;
  readonly category: string;
  readonly declaredUse: string | null;
  readonly machineDepartment: string;
  readonly ownerKind: string;
  readonly ownerName: string;
}

/**
 * Violations as cases officers work on: search within an agency's jurisdiction, workflow steps, the department
 * a violation lies in, escalation of unacknowledged ones. Ingest's writes go through ViolationsRepository.
 */
export class ViolationCasesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<ViolationRow | undefined> {
    return this.db.selectFrom('violations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Locks the violation for the caller's transaction (workflow steps, sealing), so changes queue up. */
  lock(id: string): Promise<ViolationRow | undefined> {
    return this.db.selectFrom('violations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** Matching violations, newest first; `effective_department` falls back to the machine's declared one. */
  async search(
    query: ViolationQuery,
    scope: ViolationScope,
  ): Promise<{ items: Array<ViolationRow & { effective_department: string | null }>; total: number }> {
    const base = this.db
      .selectFrom('violations as v')
      .innerJoin('machines as m', 'm.id', 'v.machine_id')
      .$if(query.status !== undefined, (qb) => qb.where('v.status', '=', query.status!))
      .$if(query.workflowStatus !== undefined, (qb) =>
        qb.where('v.workflow_status', '=', query.workflowStatus!),
      )
      .$if(query.zoneKind !== undefined, (qb) => qb.where('v.zone_kind', '=', query.zoneKind!))
      .$if(query.department !== undefined, (qb) =>
        qb.where(sql<string>`coalesce(v.department, m.department)`, '=', query.department!),
      )
      .$if(query.machineId !== undefined, (qb) => qb.where('v.machine_id', '=', query.machineId!))
      .$if(query.from !== undefined, (qb) => qb.where('v.started_at', '>=', query.from!))
      .$if(query.to !== undefined, (qb) => qb.where('v.started_at', '<', query.to!))
      .$if('agencyId' in scope, (qb) =>
        qb.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('agency_subscriptions as s')
              .select(sql`1`.as('one'))
              .where('s.agency_id', '=', (scope as { agencyId: string }).agencyId)
              .where(sql<boolean>`(cardinality(s.zone_kinds) = 0 or v.zone_kind = any(s.zone_kinds))`)
              .where(
                sql<boolean>`(cardinality(s.departments) = 0 or coalesce(v.department, m.department) = any(s.departments))`,
              ),
          ),
        ),
      );
    const [items, count] = await Promise.all([
      base
        .selectAll('v')
        .select(sql<string | null>`coalesce(v.department, m.department)`.as('effective_department'))
        .orderBy('v.started_at', 'desc')
        .orderBy('v.id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  /** Who the alerts of these machines are about: registry number, category and owner, per machine. */
  async alertParties(machineIds: readonly string[]): Promise<Map<string, AlertParties>> {
    const parties = new Map<string, AlertParties>();
    if (machineIds.length === 0) return parties;
    const rows = await this.db
      .selectFrom('machines as m')
      .innerJoin('owners as o', 'o.id', 'm.owner_id')
      .select([
        'm.id as machineId',
        'm.registry_number as registryNumber',
        'm.category as category',
        'm.department as machineDepartment',
        'm.declared_use as declaredUse',
        'o.kind as ownerKind',
        'o.name as ownerName',
      ])
      .where('m.id', 'in', [...new Set(machineIds)])
      .execute();
    for (const row of rows) parties.set(row.machineId, row);
    return parties;
  }

  parties(violationId: string): Promise<ViolationParties | undefined> {
    return this.db
      .selectFrom('violations as v')
      .innerJoin('machines as m', 'm.id', 'v.machine_id')
      .innerJoin('owners as o', 'o.id', 'm.owner_id')
      .leftJoin('trackers as t', 't.imei', 'v.imei')
      .select([
        'm.id as machineId',
        'm.registry_number as registryNumber',
        'm.category as category',
        'm.make as make',
        'm.model as model',
        'm.serial_number as serialNumber',
        'm.department as machineDepartment',
        'o.id as ownerId',
        'o.name as ownerName',
        'o.document_type as ownerDocumentType',
        'o.document_number as ownerDocumentNumber',
        't.model as trackerModel',
      ])
      .where('v.id', '=', violationId)
      .executeTakeFirst();
  }

  async machineDepartment(machineId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('machines')
      .select('department')
      .where('id', '=', machineId)
      .executeTakeFirst();
    return row?.department;
  }

  async setDepartment(id: string, department: string | null): Promise<void> {
    await this.db.updateTable('violations').set({ department }).where('id', '=', id).execute();
  }

  addStep(input: NewStep): Promise<ViolationStepRow> {
    return this.db
      .insertInto('violation_steps')
      .values({
        violation_id: input.violationId,
        step: input.step,
        actor_id: input.actorId,
        actor_username: input.actorUsername,
        agency_id: input.agencyId,
        notes: input.notes,
        reference: input.reference,
        resolution: input.resolution,
        escalation_level: input.escalationLevel,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  steps(violationId: string): Promise<ViolationStepRow[]> {
    return this.db
      .selectFrom('violation_steps')
      .selectAll()
      .where('violation_id', '=', violationId)
      .orderBy('at')
      .orderBy('id')
      .execute();
  }

  setWorkflow(id: string, workflowStatus: string, resolution: string | null = null): Promise<ViolationRow> {
    return this.db
      .updateTable('violations')
      .set({ workflow_status: workflowStatus, resolution, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Unacknowledged violations (not retracted) whose last escalation, or creation, is older than `afterSeconds`
   * and that are below `maxLevel`; locked, so two dispatcher instances never escalate the same one.
   */
  dueForEscalation(afterSeconds: number, maxLevel: number, limit: number): Promise<ViolationRow[]> {
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('workflow_status', '=', 'new')
      .where('status', '!=', 'retracted')
      .where('escalation_level', '<', maxLevel)
      .where(
        sql<boolean>`coalesce(escalated_at, created_at) <= clock_timestamp() - make_interval(secs => ${afterSeconds})`,
      )
      .orderBy('created_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  /**
   * Milliseconds, by the database's clock, until the earliest violation left unacknowledged is due for escalation
   * (see `dueForEscalation`); 0 when one is due, undefined when none may be escalated.
   */
  async msUntilNextEscalation(afterSeconds: number, maxLevel: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('violations')
      .select(
        sql<
          string | null
        >`extract(epoch from min(coalesce(escalated_at, created_at)) + make_interval(secs => ${afterSeconds}) - clock_timestamp()) * 1000`.as(
          'ms',
        ),
      )
      .where('workflow_status', '=', 'new')
      .where('status', '!=', 'retracted')
      .where('escalation_level', '<', maxLevel)
      .executeTakeFirst();
    return row?.ms == null ? undefined : Math.max(0, Math.ceil(Number(row.ms)));
  }

  escalate(id: string): Promise<ViolationRow> {
    return this.db
      .updateTable('violations')
      .set((eb) => ({
        escalation_level: eb('escalation_level', '+', 1),
        escalated_at: sql<Date>`clock_timestamp()`,
        updated_at: sql<Date>`now()`,
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Open violations and those changed within `withinSeconds`: their evidence may still grow (late fixes). */
  recentIds(withinSeconds: number, limit: number): Promise<Array<{ id: string }>> {
    return this.db
      .selectFrom('violations')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('status', '=', 'open'),
          eb('updated_at', '>=', sql<Date>`now() - make_interval(secs => ${withinSeconds})`),
        ]),
      )
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Resolutions per agency (of the resolving step) and kind, resolved in [from, to); with the false-positive
   * proposals of each agency in the same period by their outcome.
   */
  async dismissals(
    from: Date,
    to: Date,
  ): Promise<{
    resolved: Array<{ agency_id: string | null; resolution: string | null; count: string }>;
    proposals: Array<{ agency_id: string | null; status: string; count: string }>;
  }> {
    const [resolved, proposals] = await Promise.all([
      this.db
        .selectFrom('violation_steps')
        .select(['agency_id', 'resolution', (eb) => eb.fn.countAll<string>().as('count')])
        .where('step', '=', 'resolved')
        .where('at', '>=', from)
        .where('at', '<', to)
        .groupBy(['agency_id', 'resolution'])
        .execute(),
      this.db
        .selectFrom('approval_proposals')
        .select(['proposer_agency_id as agency_id', 'status', (eb) => eb.fn.countAll<string>().as('count')])
        .where('kind', '=', 'violation.false_positive')
        .where('proposed_at', '>=', from)
        .where('proposed_at', '<', to)
        .groupBy(['proposer_agency_id', 'status'])
        .execute(),
    ]);
    return { resolved, proposals };
  }
}
