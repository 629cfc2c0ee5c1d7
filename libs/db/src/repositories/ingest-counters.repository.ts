import { Kysely, sql } from 'kysely';
import type { DB } from '../schema';

/** One ingest process run: the instance it belongs to and when it started. */
export interface IngestRun {
  readonly runId: string;
  readonly instanceId: string;
  readonly startedAt: Date;
}

/** The counters of one ingest instance, added up over its runs. */
export interface IngestInstanceCounters {
  readonly instanceId: string;
  readonly runs: number;
  readonly firstStartedAt: Date;
  readonly lastUpdatedAt: Date;
  readonly counters: Record<string, number>;
}

/**
 * Ingest's counters as each process run keeps them (`ingest_counters`): a run writes its totals since it started,
 * which a retried write leaves right; readers add the runs up.
 */
export class IngestCountersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Sets the run's counters to `values` (totals since the run started), in one statement. */
  async record(run: IngestRun, values: Readonly<Record<string, number>>, at: Date): Promise<void> {
    const rows = Object.keys(values)
      .sort()
      .map((counter) => ({
        run_id: run.runId,
        instance_id: run.instanceId,
        counter,
        value: values[counter] as number,
        started_at: run.startedAt,
        updated_at: at,
      }));
    if (rows.length === 0) return;
    await this.db
      .insertInto('ingest_counters')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['run_id', 'counter']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  /** Every counter added up over every run of every instance, and how many instances there were. */
  async totals(): Promise<{ counters: Record<string, number>; instances: number }> {
    const [rows, instances] = await Promise.all([
      this.db
        .selectFrom('ingest_counters')
        .select(['counter', sql<string>`sum(value)::bigint`.as('total')])
        .groupBy('counter')
        .execute(),
      this.db
        .selectFrom('ingest_counters')
        .select(sql<string>`count(distinct instance_id)::int`.as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return {
      counters: Object.fromEntries(rows.map((r) => [r.counter, Number(r.total)])),
      instances: Number(instances.n),
    };
  }

  /** The instances' counters, the most recently updated first, a page at a time. */
  async instances(window: {
    limit: number;
    offset: number;
  }): Promise<{ items: IngestInstanceCounters[]; total: number }> {
    const [page, count] = await Promise.all([
      this.db
        .selectFrom('ingest_counters')
        .select([
          'instance_id',
          sql<string>`count(distinct run_id)::int`.as('runs'),
          sql<Date>`min(started_at)`.as('first_started_at'),
          sql<Date>`max(updated_at)`.as('last_updated_at'),
        ])
        .groupBy('instance_id')
        .orderBy('last_updated_at', 'desc')
        .orderBy('instance_id')
        .limit(window.limit)
        .offset(window.offset)
        .execute(),
      this.db
        .selectFrom('ingest_counters')
        .select(sql<string>`count(distinct instance_id)::int`.as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    const ids = page.map((r) => r.instance_id);
    const sums =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('ingest_counters')
            .select(['instance_id', 'counter', sql<string>`sum(value)::bigint`.as('total')])
            .where('instance_id', 'in', ids)
            .groupBy(['instance_id', 'counter'])
            .execute();
    const items = page.map((r): IngestInstanceCounters => ({
      instanceId: r.instance_id,
      runs: Number(r.runs),
      firstStartedAt: new Date(r.first_started_at),
      lastUpdatedAt: new Date(r.last_updated_at),
      counters: Object.fromEntries(
        sums.filter((s) => s.instance_id === r.instance_id).map((s) => [s.counter, Number(s.total)]),
      ),
    }));
    return { items, total: Number(count.n) };
  }
}

/** The counters every ingest process keeps (besides rejections by reason), each 0 until counted. */
export const INGEST_COUNTERS = [
  'messages',
  'fixesStored',
  'fixesDuplicate',
  'statusMessages',
  'storageFailures',
  'statesRebuilt',
  'batches',
  'batchedMessages',
] as const;

/** Nested counters (`{ rejections: { bad_crc: 2 } }`) as the rows' names (`rejections.bad_crc`). */
export function flattenCounters(
  counters: Readonly<Record<string, unknown>>,
  prefix = '',
  into: Record<string, number> = {},
): Record<string, number> {
  for (const [name, value] of Object.entries(counters)) {
    if (typeof value === 'number') into[`${prefix}${name}`] = value;
    else if (typeof value === 'object' && value !== null)
      flattenCounters(value as Record<string, unknown>, `${prefix}${name}.`, into);
  }
  return into;
}

/** What an administrator reads of counters stored flat: ingest's, with rejections by reason, and the embedded broker's. */
export interface IngestCountersView {
  ingest: { [counter: string]: number | Record<string, number>; rejections: Record<string, number> };
  embeddedBroker?: Record<string, unknown>;
}

/** The rows' names nested again (`flattenCounters` undone), every ingest counter present. */
export function nestCounters(flat: Readonly<Record<string, number>>): IngestCountersView {
  const nested: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    const path = name.split('.');
    let node = nested;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<
        string,
        unknown
      >;
    }
    node[path[path.length - 1] as string] = value;
  }
  const { embeddedBroker, rejections, ...rest } = nested;
  const ingest = {
    ...Object.fromEntries(INGEST_COUNTERS.map((name) => [name, 0])),
    ...(rest as Record<string, number>),
    rejections: (rejections ?? {}) as Record<string, number>,
  };
  return {
    ingest,
    ...(embeddedBroker !== undefined && { embeddedBroker: embeddedBroker as Record<string, unknown> }),
  };
}
