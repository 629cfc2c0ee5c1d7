import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DevicePublisher } from '@app/broker';
import { DATABASE, Database, Store, isDataRefusal } from '@app/db';
import { DEFAULT_LIMITS, INBOUND_CHANNELS } from '@app/telemetry';
import { IngestCounters } from './ingest-counters';
import { IntegrityWriter } from './integrity.writer';
import { LiveStateStore } from './live-state';
import { DeviceReceipts } from './pipeline/device-receipts';
import { BatchStages, evaluateBatch } from './pipeline/evaluate-batch';
import { IntegritySweep } from './pipeline/integrity-sweep';
import { Lanes } from './pipeline/lanes';
import { holdingStates, liveStateStoreFor } from './pipeline/live-state-holding';
import { LiveStateLoader } from './pipeline/live-state-loader';
import { RefusedMessages } from './pipeline/refused-messages';
import { RejectionReports } from './pipeline/rejection-reports';
import { TrackerAdoption } from './pipeline/tracker-adoption';
import { RulesEvaluator } from './rules.evaluator';
import type { IncomingMessage } from './stages/batch-message';
import { decode } from './stages/decode.stage';
import { IntegrityStage } from './stages/integrity.stage';
import { MachineStage } from './stages/machine.stage';
import { RulesStage } from './stages/rules.stage';
import { ViolationsStage } from './stages/violations.stage';
import { TRACKER_TARGETS_CHANNEL, TrackerTargets } from './tracker-targets';

/**
 * Ingest's pipeline. Messages from every connection queue on the writer (lane) of their tracker; each turn of a
 * writer takes what has queued as one batch and passes it through the stages (`./stages`): decode, resolve the
 * tracker's machine, check plausibility, store, geofence and rules, integrity, violations and outbox. The batch
 * is written atomically, and a message's promise resolves only after that commit, so the acknowledgement to the
 * device or broker means "stored"; after the commit each tracker also gets a receipt naming its stored fixes
 * (`DeviceReceipts`), which is what its firmware deletes them on. One writer per tracker keeps its fixes in arrival
 * order; the batch makes the commit cost per fix small, and several writers keep the database busy while JavaScript
 * prepares the next batch.
 */
@Injectable()
export class IngestPipeline implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private readonly lanes: Lanes<IncomingMessage>;
  readonly liveStates: LiveStateStore;
  readonly targets: TrackerTargets;
  private readonly stages: BatchStages;
  private readonly violations: ViolationsStage;
  private readonly loader: LiveStateLoader;
  private readonly sweeper: IntegritySweep;
  private readonly adoption: TrackerAdoption;
  private readonly reports: RejectionReports;
  private readonly receipts = new DeviceReceipts();
  private readonly refused: RefusedMessages;
  private readonly sweepEveryMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private adopting: Promise<void> | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  /** False in ingest's main thread when worker threads run the pipelines (INGEST_WORKERS): this one stays idle. */
  private readonly runsHere: boolean;

  constructor(
    store: Store,
    @Inject(DATABASE) private readonly database: Database,
    readonly counters: IngestCounters,
    rules: RulesEvaluator,
    integrity: IntegrityWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.runsHere = config.ingestWorkers === 0;
    this.sweepEveryMs = config.integritySweepSeconds * 1000;
    this.liveStates = liveStateStoreFor(config, this.runsHere);
    this.targets = new TrackerTargets(
      (imeis) => store.repos.trackers.ingestTargets(imeis),
      config.liveStateMax,
    );
    const integrityStage = new IntegrityStage(integrity, store);
    this.stages = {
      machines: new MachineStage(this.targets, integrity),
      rules: new RulesStage(rules),
      integrity: integrityStage,
      limits: {
        ...DEFAULT_LIMITS,
        maxAgeMs: config.deviceClockMaxAgeHours * 3_600_000,
        maxFutureSkewMs: config.deviceClockMaxAheadSeconds * 1000,
      },
    };
    this.violations = new ViolationsStage(store, rules, integrity);
    this.loader = new LiveStateLoader(this.liveStates, store, rules, integrity, counters);
    this.reports = new RejectionReports(counters);
    this.refused = new RefusedMessages(store, counters);
    this.lanes = new Lanes<IncomingMessage>(config.ingestWriters, config.ingestBatchMax, {
      process: (batch) => this.process(batch),
      settleFailed: (item, error) => this.refused.settle(item, error),
      // The database refused some message's data (SQLSTATE class 22 or 23): halve the batch down to that message.
      splits: isDataRefusal,
    });
    this.sweeper = new IntegritySweep(
      this.lanes,
      this.liveStates,
      store,
      integrity,
      integrityStage,
      this.violations,
    );
    this.adoption = new TrackerAdoption(
      this.lanes,
      this.liveStates,
      store,
      this.stages.machines,
      this.loader,
    );
  }

  usePublisher(publisher: DevicePublisher): void {
    this.reports.usePublisher(publisher);
    this.receipts.usePublisher(publisher);
  }

  /**
   * Resolves once the message is handled for good (stored, or rejected with a reason); rejects if not stored. The
   * topic comes parsed with the message (`IngestIntake`).
   */
  submit(incoming: IncomingMessage): Promise<void> {
    const { topic } = incoming;
    return this.lanes.submit(topic.ok ? topic.topic.imei : '', incoming);
  }

  /** Listens to the registry's changes of trackers' targets; starts the periodic integrity sweep (the only way a tracker that went silent is noticed). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsHere) return;
    this.stopListening = await this.database.listen(TRACKER_TARGETS_CHANNEL, this.targets);
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweepIntegrity(Date.now())
        .catch((error: unknown) =>
          this.logger.error(
            `integrity sweep failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => (this.sweeping = undefined));
    }, this.sweepEveryMs);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.stopListening?.();
    await this.adopting;
    await this.sweeping;
    await this.lanes.idle();
    await this.liveStates.close();
    if (this.runsHere) this.logger.log(`ingest totals: ${JSON.stringify(this.counters.snapshot())}`);
  }

  /** Sweeps the live states this instance holds for trackers gone silent, at platform time `now` (see `IntegritySweep`). */
  sweepIntegrity(now: number): Promise<void> {
    return this.sweeper.sweep(now);
  }

  /** Takes over the recently reporting trackers this instance may serve (see `TrackerAdoption`); returns how many. */
  adoptRecentTrackers(owns: (imei: string) => boolean, now: number): Promise<number> {
    return this.adoption.adoptRecent(owns, now);
  }

  /**
   * Makes the pipeline ready to take messages (its live state store connected) and starts taking over the recently
   * reporting trackers it may serve (`adoptRecentTrackers`, in the background; the outcome is logged).
   */
  async start(owns: (imei: string) => boolean): Promise<void> {
    await this.liveStates.connected();
    this.adopting = this.adoptRecentTrackers(owns, Date.now())
      .then((adopted) => {
        if (adopted > 0) this.logger.log(`took over ${adopted} recently reporting trackers`);
      })
      .catch((error: unknown) =>
        this.logger.error(
          `could not take over recently reporting trackers: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }

  /** One batch of a writer, through every stage; resolves once committed. */
  private async process(incoming: readonly IncomingMessage[]): Promise<void> {
    const now = Math.max(...incoming.map((m) => m.message.receivedAt.getTime()));
    const batch = incoming.map(decode);
    const imeis = [...new Set(incoming.flatMap(trackerOf))];
    const targets = await this.stages.machines.targetsOf(imeis, now);
    const known = imeis.filter((imei) => targets.has(imei));
    await holdingStates(this.liveStates, known, async () => {
      const states = await this.loader.load(known, targets, now);
      const evaluated = await evaluateBatch(this.stages, batch, states, targets, now);
      const { rows } = evaluated;
      const stored = await this.violations.write(rows, evaluated.verdicts, evaluated.alerts);
      // Committed: each tracker hears which of its fixes are stored (published as its messages are acknowledged,
      // without waiting for the broker).
      this.receipts.send(rows.stored);
      await this.liveStates.committed(evaluated.changed);
      this.reports.count(batch, stored, rows.positions.length - stored);
      for (const item of batch) void this.reports.report(item);
    });
  }
}

/** The tracker whose live state a message concerns: its fixes, or its status messages. */
function trackerOf(incoming: IncomingMessage): string | [] {
  const { topic } = incoming;
  return topic.ok && INBOUND_CHANNELS.includes(topic.topic.channel) ? topic.topic.imei : [];
}
