import { Kysely, sql } from 'kysely';
import type { DB, ZoneImportJobRow } from '../schema';

export interface NewZoneImportJob {
  readonly layer: string;
  readonly activate: boolean;
  readonly timeoutSeconds: number;
  readonly createdBy: string | null;
  readonly createdByUsername: string;
}

/** Zone import jobs: queued, running (with their stage and progress), then succeeded with a result or failed. */
export class ZoneImportJobsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(job: NewZoneImportJob): Promise<ZoneImportJobRow> {
    return this.db
      .insertInto('zone_import_jobs')
      .values({
        layer: job.layer,
        activate: job.activate,
        timeout_seconds: job.timeoutSeconds,
        created_by: job.createdBy,
        created_by_username: job.createdByUsername,
        progress: null,
        result: null,
        error: null,
        started_at: null,
        finished_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<ZoneImportJobRow | undefined> {
    return this.db.selectFrom('zone_import_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(limit: number, offset: number): Promise<{ items: ZoneImportJobRow[]; total: number }> {
    const [items, count] = await Promise.all([
      this.db
        .selectFrom('zone_import_jobs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('zone_import_jobs')
        .select((eb) => eb.fn.countAll<string>().as('total'))
        .executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  async started(id: string): Promise<void> {
    await this.db
      .updateTable('zone_import_jobs')
      .set({ status: 'running', stage: 'repairing', started_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
  }

  async progressed(id: string, stage: string, progress: unknown): Promise<void> {
    await this.db
      .updateTable('zone_import_jobs')
      .set({
        stage,
        progress: progress === undefined ? null : JSON.stringify(progress),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async finished(id: string, outcome: { result: unknown } | { error: string }): Promise<void> {
    await this.db
      .updateTable('zone_import_jobs')
      .set({
        status: 'result' in outcome ? 'succeeded' : 'failed',
        stage: 'done',
        result: 'result' in outcome ? JSON.stringify(outcome.result) : null,
        error: 'error' in outcome ? outcome.error : null,
        finished_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .execute();
  }
}
