import { Kysely, sql } from 'kysely';
import type { DB, DeliveryRow, OutboxEventRow } from '../schema';

export interface NewDelivery {
  readonly outboxEventId: string;
  readonly agencyId: string;
  readonly channelId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly violationId: string;
  readonly body: string;
}

export interface DeliveryOutcome {
  readonly status: number | null;
  readonly error: string | null;
}

/** A position in the outbox: the creation time as the database writes it, and the id. */
export interface OutboxCursor {
  readonly at: string;
  readonly id: string;
}

export interface DeliveryQuery {
  readonly status?: string | undefined;
  readonly agencyId?: string | undefined;
  readonly violationId?: string | undefined;
  readonly limit: number;
  readonly offset: number;
}

/**
 * A pending delivery `d` waits while an earlier event of the same violation on the same channel is still pending
 * (being attempted, or waiting for its retry): a violation's events reach a channel in the order they were
 * written, and a `closed` never before its `opened`. Dead letters do not hold the later events back.
 */
const noEarlierPending = sql<boolean>`not exists (
  select 1 from deliveries earlier
  join outbox_events earlier_event on earlier_event.id = earlier.outbox_event_id
  where earlier.violation_id = d.violation_id and earlier.channel_id = d.channel_id
    and earlier.status = 'pending'
    and earlier_event.seq < (select seq from outbox_events where id = d.outbox_event_id)
)`;

/**
 * The transactional outbox as the dispatcher reads it, and the per-agency-channel deliveries it fans out to.
 * Rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so several dispatcher instances never work on the
 * same row at the same time, and a row whose instance died is taken over once its lease has expired.
 */
export class DeliveriesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Unpublished outbox events, oldest first, locked for the caller's transaction (others skip them). */
  claimOutbox(limit: number): Promise<OutboxEventRow[]> {
    return this.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('published_at', 'is', null)
      .orderBy('seq')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('outbox_events')
      .set({ published_at: sql<Date>`clock_timestamp()` })
      .where('id', 'in', [...ids])
      .execute();
  }

  /** The latest event of a violation that was fanned out to some agency: when it was written, and its state. */
  async lastSent(
    violationId: string,
  ): Promise<{ at: Date; severity: string; workflowStatus: string } | undefined> {
    const row = await this.db
      .selectFrom('deliveries as d')
      .innerJoin('outbox_events as o', 'o.id', 'd.outbox_event_id')
      .select([
        'o.created_at as at',
        sql<string | null>`o.payload->>'severity'`.as('severity'),
        sql<string | null>`o.payload->>'workflow_status'`.as('workflowStatus'),
      ])
      .where('d.violation_id', '=', violationId)
      .orderBy('o.seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row
      ? { at: new Date(row.at), severity: row.severity ?? '', workflowStatus: row.workflowStatus ?? 'new' }
      : undefined;
  }

  /** Adds deliveries; one per outbox event and channel, whoever fans out first. */
  async add(rows: readonly NewDelivery[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.db
      .insertInto('deliveries')
      .values(
        rows.map((r) => ({
          outbox_event_id: r.outboxEventId,
          agency_id: r.agencyId,
          channel_id: r.channelId,
          event_id: r.eventId,
          event_type: r.eventType,
          violation_id: r.violationId,
          body: r.body,
        })),
      )
      .onConflict((oc) => oc.columns(['outbox_event_id', 'channel_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  /**
   * Leases up to `limit` due deliveries to `owner` for `leaseSeconds` and counts the attempt. A delivery whose
   * lease expired (its instance stopped or died mid-delivery) is due again.
   */
  async claimDue(owner: string, limit: number, leaseSeconds: number): Promise<DeliveryRow[]> {
    const result = await sql<DeliveryRow>`
      update deliveries set
        lease_owner = ${owner},
        lease_until = clock_timestamp() + make_interval(secs => ${leaseSeconds}),
        attempts = attempts + 1
      where id in (
        select d.id from deliveries d
        where d.status = 'pending' and d.next_attempt_at <= clock_timestamp()
          and (d.lease_until is null or d.lease_until < clock_timestamp())
          and ${noEarlierPending}
        order by d.next_attempt_at, d.created_at
        limit ${limit}
        for update skip locked
      )
      returning *`.execute(this.db);
    return result.rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
  }

  /** Records a successful delivery, unless the lease was lost to another instance meanwhile. */
  async markDelivered(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set({
        status: 'delivered',
        delivered_at: sql<Date>`clock_timestamp()`,
        lease_owner: null,
        lease_until: null,
        last_status: outcome.status,
        last_error: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markRetry(id: string, owner: string, retryAt: Date, outcome: DeliveryOutcome): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        next_attempt_at: retryAt,
        lease_owner: null,
        lease_until: null,
        last_status: outcome.status,
        last_error: outcome.error,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .execute();
  }

  async markDead(id: string, owner: string, outcome: DeliveryOutcome): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        status: 'dead',
        dead_at: sql<Date>`clock_timestamp()`,
        lease_owner: null,
        lease_until: null,
        last_status: outcome.status,
        last_error: outcome.error,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .execute();
  }

  /**
   * Milliseconds, by the database's clock, until the earliest pending delivery may be attempted (its retry time,
   * or the end of the lease another instance holds on it); 0 when one is due, undefined when none is pending.
   */
  async msUntilNextAttempt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('deliveries as d')
      .select(
        sql<
          string | null
        >`extract(epoch from min(greatest(d.next_attempt_at, coalesce(d.lease_until, d.next_attempt_at))) - clock_timestamp()) * 1000`.as(
          'ms',
        ),
      )
      .where('d.status', '=', 'pending')
      .where(noEarlierPending)
      .executeTakeFirst();
    return row?.ms == null ? undefined : Math.max(0, Math.ceil(Number(row.ms)));
  }

  async now(): Promise<Date> {
    const result = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(this.db);
    return new Date(result.rows[0]!.now);
  }

  findById(id: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async search(query: DeliveryQuery): Promise<{ items: DeliveryRow[]; total: number }> {
    const base = this.db
      .selectFrom('deliveries')
      .$if(query.status !== undefined, (qb) => qb.where('status', '=', query.status!))
      .$if(query.agencyId !== undefined, (qb) => qb.where('agency_id', '=', query.agencyId!))
      .$if(query.violationId !== undefined, (qb) => qb.where('violation_id', '=', query.violationId!));
    const [items, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  /** Puts dead-lettered deliveries back in the queue with a fresh retry window; returns those replayed. */
  replay(filter: { id?: string; agencyId?: string }): Promise<DeliveryRow[]> {
    return this.db
      .updateTable('deliveries')
      .set({
        status: 'pending',
        dead_at: null,
        next_attempt_at: sql<Date>`clock_timestamp()`,
        window_started_at: sql<Date>`clock_timestamp()`,
        lease_owner: null,
        lease_until: null,
      })
      .where('status', '=', 'dead')
      .$if(filter.id !== undefined, (qb) => qb.where('id', '=', filter.id!))
      .$if(filter.agencyId !== undefined, (qb) => qb.where('agency_id', '=', filter.agencyId!))
      .returningAll()
      .execute();
  }

  /**
   * Where the live feed starts: after the newest outbox event. The time is kept as the database's text (to the
   * microsecond), since a JavaScript Date would round it to the millisecond and read the same event again.
   */
  async latestOutboxCursor(): Promise<OutboxCursor | undefined> {
    const result = await sql<OutboxCursor>`
      select created_at::text as at, id::text as id from outbox_events
      order by created_at desc, id desc limit 1`.execute(this.db);
    return result.rows[0];
  }

  /** Outbox events after the cursor, oldest first, each with its own cursor. */
  async outboxAfter(
    cursor: OutboxCursor | undefined,
    limit: number,
  ): Promise<Array<OutboxEventRow & { cursor: OutboxCursor }>> {
    const after = cursor
      ? sql`where (created_at, id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
      : sql``;
    const result = await sql<OutboxEventRow & { cursor_at: string }>`
      select *, created_at::text as cursor_at from outbox_events ${after}
      order by created_at, id limit ${limit}`.execute(this.db);
    return result.rows.map(({ cursor_at, ...row }) => ({
      ...row,
      created_at: new Date(row.created_at),
      cursor: { at: cursor_at, id: row.id },
    }));
  }
}
