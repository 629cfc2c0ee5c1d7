import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, Store, ZoneImportJobRow } from '@app/db';
import { LayerMapping } from '@app/geofence';
import type { FeatureCollection } from 'geojson';
import { ImportQueueFullError } from './zone-catalogue.errors';
import { ZoneCatalogueService } from './zone-catalogue.service';

/** Imports one process holds at most, queued or running. */
export const ZONE_IMPORT_QUEUE_MAX = 4;

export type ZoneImportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A zone import as the API shows it while it runs and after. */
export interface ZoneImportJobView {
  id: string;
  layer: string;
  status: ZoneImportStatus;
  /** queued, repairing (checks and repair on the worker thread), storing, proposing, done */
  stage: string;
  progress: unknown;
  activate: boolean;
  result: unknown;
  error: string | null;
  timeoutSeconds: number;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Zone imports as jobs: the request records the job and returns at once; the layer's checks and repair run on a
 * worker thread bounded by ZONE_IMPORT_TIMEOUT_SECONDS (its SQL by the same statement_timeout), one job at a time
 * per process, and the job records its stage, progress, result or error. An import that asks for activation ends
 * with an activation proposal, which another administrator confirms.
 */
@Injectable()
export class ZoneImportJobsService implements OnModuleDestroy {
  private readonly logger = new Logger('ZoneImportJobs');
  /** Jobs of this process not finished yet: queued or running. */
  private readonly live = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** Aborted when the process stops: a running repair is terminated rather than waited for. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly catalogue: ZoneCatalogueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort(
      new Error('interrupted: the process stopped before the import finished; import the layer again'),
    );
    await this.queue;
  }

  async submit(
    mapping: LayerMapping,
    geojson: FeatureCollection,
    activate: boolean,
    by: Actor,
  ): Promise<ZoneImportJobView> {
    if (this.live.size >= ZONE_IMPORT_QUEUE_MAX) throw new ImportQueueFullError(this.live.size);
    const job = await this.store.repos.zoneImportJobs.create({
      layer: mapping.layer,
      activate,
      timeoutSeconds: this.config.zoneImportTimeoutSeconds,
      createdBy: by.id,
      createdByUsername: by.username,
    });
    this.live.add(job.id);
    this.queue = this.queue.then(() => this.run(job.id, mapping, geojson, activate, by));
    return this.view(job);
  }

  async find(id: string): Promise<ZoneImportJobView | undefined> {
    const row = await this.store.repos.zoneImportJobs.findById(id);
    return row ? this.view(row) : undefined;
  }

  async list(limit: number, offset: number): Promise<{ items: ZoneImportJobView[]; total: number }> {
    const { items, total } = await this.store.repos.zoneImportJobs.list(limit, offset);
    return { items: items.map((row) => this.view(row)), total };
  }

  /** Resolves when every job submitted to this process so far has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async run(
    id: string,
    mapping: LayerMapping,
    geojson: FeatureCollection,
    activate: boolean,
    by: Actor,
  ): Promise<void> {
    const jobs = this.store.repos.zoneImportJobs;
    const timeoutMs = this.config.zoneImportTimeoutSeconds * 1000;
    const started = Date.now();
    try {
      if (this.stopping.signal.aborted) throw this.stopping.signal.reason;
      await jobs.started(id);
      const imported = await this.catalogue.prepareLayer(mapping, geojson, {
        timeoutMs,
        signal: this.stopping.signal,
        onProgress: (progress) => void jobs.progressed(id, 'repairing', progress).catch(() => undefined),
      });
      await jobs.progressed(id, 'storing', {
        zonesBuilt: imported.zones.length,
        zonesTotal: imported.zones.length,
      });
      const outcome = await this.catalogue.storeLayer(mapping, imported, false, by, timeoutMs);
      let activation: unknown = null;
      if (activate) {
        await jobs.progressed(id, 'proposing', null);
        activation = await this.proposeActivation(outcome.version, by, id);
      }
      await jobs.finished(id, { result: { ...outcome, activated: false, activation } });
      this.logger.log(
        `import ${id} of layer ${mapping.layer}: version ${outcome.version.slice(0, 12)}, ${imported.zones.length} zones in ${Date.now() - started} ms`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`import ${id} of layer ${mapping.layer} failed: ${message}`);
      await jobs
        .finished(id, { error: message })
        .catch((failure: unknown) =>
          this.logger.error(`import ${id}: could not record its failure: ${String(failure)}`),
        );
    } finally {
      this.live.delete(id);
    }
  }

  /** The activation proposal an import that asked for activation ends with (none when already active). */
  private async proposeActivation(version: string, by: Actor, jobId: string): Promise<unknown> {
    if ((await this.store.repos.zones.activeVersion()) === version) return { status: 'already active' };
    const pending = await this.store.repos.approvals.listPending('zone_catalogue.activation');
    const existing = pending.find((p) => p.entity_id === version);
    const proposal =
      existing ??
      (await this.catalogue.proposeActivation(version, by, `import of layer (job ${jobId})`, {
        importJobId: jobId,
      }));
    return {
      status: 'pending',
      proposalId: proposal.id,
      proposedBy: proposal.proposed_by_username,
      confirm: `POST /v1/zones/versions/${version}/activate/confirm (another administrator)`,
    };
  }

  private view(row: ZoneImportJobRow): ZoneImportJobView {
    let status = row.status as ZoneImportStatus;
    let error = row.error;
    // A job that no process runs any more (its process stopped) and that has not moved for longer than its time.
    const unfinished = status === 'queued' || status === 'running';
    const stale = Date.now() - row.updated_at.getTime() > (row.timeout_seconds + 60) * 1000;
    if (unfinished && !this.live.has(row.id) && stale) {
      status = 'failed';
      error =
        'interrupted: the process running the import stopped before it finished; import the layer again';
    }
    return {
      id: row.id,
      layer: row.layer,
      status,
      stage: status === 'failed' && unfinished ? 'done' : row.stage,
      progress: row.progress,
      activate: row.activate,
      result: row.result,
      error,
      timeoutSeconds: row.timeout_seconds,
      createdBy: row.created_by_username,
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    };
  }
}
