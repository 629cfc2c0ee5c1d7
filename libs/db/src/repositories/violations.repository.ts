import { randomUUID } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { DB, ViolationRow, ViolationZone } from '../schema';

export interface OpenViolation {
  readonly machineId: string;
  readonly imei: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly zoneKind: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly legalBasis: string;
  /** In Spanish (es-PE), with the English beside. */
  readonly title: string;
  readonly titleEn: string;
  readonly description: string;
  readonly descriptionEn: string;
  readonly catalogueVersion: string;
  readonly episodeId: string;
  readonly startedAt: Date;
  readonly confirmedAt: Date;
  readonly lastSeenAt: Date;
  readonly late: boolean;
  readonly delayMs: number;
  readonly confirmingFixes: unknown;
  /** Where ingest placed it (the position it decided on); the dispatcher routes by it. */
  readonly department?: string | null;
  readonly province?: string | null;
  /** Every zone of the case (the first is `zoneId`); absent: that zone alone. */
  readonly zones?: readonly ViolationZone[];
  /** Shared with the machine's violations of the same act under other legal bases; absent: a new incident. */
  readonly incidentId?: string;
}

export class ViolationsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Opens the violation unless this machine already has one open for the zone and rule (no alert floods). */
  async open(input: OpenViolation): Promise<ViolationRow | undefined> {
    return (await this.openMany([input]))[0];
  }

  /** Opens many violations in one statement; returns those opened (the others were open already). */
  openMany(inputs: readonly OpenViolation[]): Promise<ViolationRow[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    return this.db
      .insertInto('violations')
      .values(
        inputs.map((input) => ({
          machine_id: input.machineId,
          imei: input.imei,
          zone_id: input.zoneId,
          zone_name: input.zoneName,
          zone_kind: input.zoneKind,
          rule_id: input.ruleId,
          severity: input.severity,
          legal_basis: input.legalBasis,
          title: input.title,
          title_en: input.titleEn,
          description: input.description,
          description_en: input.descriptionEn,
          catalogue_version: input.catalogueVersion,
          episode_id: input.episodeId,
          started_at: input.startedAt,
          confirmed_at: input.confirmedAt,
          last_seen_at: input.lastSeenAt,
          late: input.late,
          delay_ms: input.delayMs,
          confirming_fixes: JSON.stringify(input.confirmingFixes),
          department: input.department ?? null,
          province: input.province ?? null,
          zones: JSON.stringify(
            input.zones ?? [{ id: input.zoneId, name: input.zoneName, kind: input.zoneKind }],
          ),
          incident_id: input.incidentId ?? randomUUID(),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .execute();
  }

  findByEpisode(imei: string, episodeId: string, ruleId: string): Promise<ViolationRow | undefined> {
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('imei', '=', imei)
      .where('episode_id', '=', episodeId)
      .where('rule_id', '=', ruleId)
      .executeTakeFirst();
  }

  /** The machine's open violation of a zone and rule, if any. */
  openOf(machineId: string, zoneId: string, ruleId: string): Promise<ViolationRow | undefined> {
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('zone_id', '=', zoneId)
      .where('rule_id', '=', ruleId)
      .where('status', '=', 'open')
      .executeTakeFirst();
  }

  /** The machine's open violation of a rule, whatever its zones (one case per machine, rule and episode). */
  openOfRule(machineId: string, ruleId: string): Promise<ViolationRow | undefined> {
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('rule_id', '=', ruleId)
      .where('status', '=', 'open')
      .orderBy('started_at')
      .executeTakeFirst();
  }

  /**
   * The violations of these machines that may belong to the same act as one starting now: open ones, and those
   * closed at or after `since`.
   */
  currentOf(machineIds: readonly string[], since: Date): Promise<ViolationRow[]> {
    if (machineIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', 'in', [...new Set(machineIds)])
      .where((eb) => eb.or([eb('status', '=', 'open'), eb('closed_at', '>=', since)]))
      .orderBy('started_at')
      .execute();
  }

  /** Lets a later episode of the streaming state continue an open violation (after the state was rebuilt). */
  async rebindEpisode(id: string, episodeId: string): Promise<void> {
    await this.db
      .updateTable('violations')
      .set({ episode_id: episodeId, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
  }

  update(
    id: string,
    changes: {
      lastSeenAt?: Date;
      startedAt?: Date;
      status?: string;
      closedAt?: Date | null;
      severity?: string;
      description?: string;
      descriptionEn?: string;
      confirmingFixes?: unknown;
      zones?: readonly ViolationZone[];
    },
  ) {
    return this.db
      .updateTable('violations')
      .set({
        ...(changes.lastSeenAt ? { last_seen_at: changes.lastSeenAt } : {}),
        ...(changes.severity ? { severity: changes.severity } : {}),
        ...(changes.description ? { description: changes.description } : {}),
        ...(changes.descriptionEn ? { description_en: changes.descriptionEn } : {}),
        ...(changes.confirmingFixes !== undefined
          ? { confirming_fixes: JSON.stringify(changes.confirmingFixes) }
          : {}),
        ...(changes.zones ? { zones: JSON.stringify(changes.zones) } : {}),
        ...(changes.startedAt ? { started_at: changes.startedAt } : {}),
        ...(changes.status ? { status: changes.status } : {}),
        ...(changes.closedAt !== undefined ? { closed_at: changes.closedAt } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  ofMachine(machineId: string): Promise<ViolationRow[]> {
    return this.db
      .selectFrom('violations')
      .selectAll()
      .where('machine_id', '=', machineId)
      .orderBy('started_at')
      .execute();
  }

  async addOutboxEvents(
    events: readonly { type: string; aggregateType: string; aggregateId: string; payload: unknown }[],
  ): Promise<void> {
    if (events.length === 0) return;
    await this.db
      .insertInto('outbox_events')
      .values(
        events.map((e) => ({
          type: e.type,
          aggregate_type: e.aggregateType,
          aggregate_id: e.aggregateId,
          payload: JSON.stringify(e.payload),
        })),
      )
      .execute();
  }

  async addOutboxEvent(
    type: string,
    aggregateType: string,
    aggregateId: string,
    payload: unknown,
  ): Promise<void> {
    await this.db
      .insertInto('outbox_events')
      .values({
        type,
        aggregate_type: aggregateType,
        aggregate_id: aggregateId,
        payload: JSON.stringify(payload),
      })
      .execute();
  }
}
