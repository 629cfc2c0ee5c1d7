import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { EmbeddedBroker } from '@app/broker';
import { IngestRun, Store, flattenCounters } from '@app/db';
import { IngestIntake } from './ingest.intake';

/**
 * Writes this ingest process's counters (its threads' added up, and the embedded broker's when it runs one) to the
 * database every INGEST_COUNTERS_FLUSH_MS and when the process stops, as the totals of this run: the registry API
 * serves them to administrators from there (`GET /v1/ingest/stats`), in every deployment shape. A failed write is
 * logged and the next one writes the totals again; a process killed loses at most the last interval's counts.
 */
@Injectable()
export class IngestStatsRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');
  readonly run: IngestRun;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWritten: string | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: Store,
    private readonly intake: IngestIntake,
    private readonly broker: EmbeddedBroker,
  ) {
    this.run = { runId: randomUUID(), instanceId: config.ingestInstanceId, startedAt: new Date() };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.ingestCountersFlushMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Writes the counters as they are now, after any write in progress; resolves once done (failures are logged). */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    const values = flattenCounters({
      ...this.intake.snapshot(),
      ...(this.config.mqttUrl ? {} : { embeddedBroker: this.broker.counters }),
    });
    const text = JSON.stringify(values);
    if (text === this.lastWritten) return;
    try {
      await this.store.repos.ingestCounters.record(this.run, values, new Date());
      this.lastWritten = text;
    } catch (error) {
      this.logger.warn(
        `could not write ingest counters: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
