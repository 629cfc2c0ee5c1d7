import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { DeviceMessage, DevicePublisher } from '@app/broker';
import { DeviceTopics } from './device-topics';
import { IngestCounters, IngestCountersSnapshot } from './ingest-counters';
import { IngestPipeline } from './ingest.pipeline';
import { IngestWorkerPool } from './workers/worker-pool';

/**
 * Where device messages enter ingest: the topic of each is parsed here, once, and handed on with it to this
 * thread's pipeline, or with INGEST_WORKERS to the worker threads, each running a pipeline of its own for its
 * share of the trackers (this thread's then stays idle).
 */
@Injectable()
export class IngestIntake implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly workers: IngestWorkerPool | undefined;
  private readonly topics = new DeviceTopics();
  private starting: Promise<void> | undefined;

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly counters: IngestCounters,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.workers = config.ingestWorkers > 0 ? new IngestWorkerPool(config) : undefined;
  }

  onApplicationBootstrap(): void {
    this.starting = this.workers ? this.workers.start() : this.pipeline.start(() => true);
    // `ready` reports a failed start; until then it must not count as unhandled.
    this.starting.catch(() => undefined);
  }

  /** Resolves once messages can be taken (worker threads started, live state store connected). */
  async ready(): Promise<void> {
    await this.starting;
  }

  usePublisher(publisher: DevicePublisher): void {
    if (this.workers) this.workers.usePublisher(publisher);
    else this.pipeline.usePublisher(publisher);
  }

  /** Resolves once the message is handled for good (stored, or rejected with a reason); rejects if not stored. */
  submit(message: DeviceMessage): Promise<void> {
    const incoming = { message, topic: this.topics.parse(message.topic) };
    return this.workers ? this.workers.submit(incoming) : this.pipeline.submit(incoming);
  }

  snapshot(): IngestCountersSnapshot {
    return this.workers ? this.workers.counters() : this.counters.snapshot();
  }

  async onModuleDestroy(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.workers?.stop();
  }
}
