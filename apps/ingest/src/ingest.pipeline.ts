import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceMessage, DevicePublisher } from '@app/broker';
import { DATABASE, Database, Store } from '@app/db';
import { IntegrityInput } from '@app/integrity';
import { INBOUND_CHANNELS, parseDeviceTopic } from '@app/telemetry';
import { IngestCounters } from './ingest-counters';
import { IntegrityWriter } from './integrity.writer';
import { LiveState, LiveStateStore } from './live-state';
import { IntegritySweep } from './pipeline/integrity-sweep';
import { Lanes } from './pipeline/lanes';
import { holdingStates, liveStateStoreFor } from './pipeline/live-state-holding';
import { LiveStateLoader } from './pipeline/live-state-loader';
import { RefusedMessages } from './pipeline/refused-messages';
import { RejectionReports } from './pipeline/rejection-reports';
import { TrackerAdoption } from './pipeline/tracker-adoption';
import { RulesEvaluator } from './rules.evaluator';
import type { BatchMessage, IncomingMessage } from './stages/batch-message';
import { decode } from './stages/decode.stage';
import { IntegrityStage } from './stages/integrity.stage';
import { MachineStage } from './stages/machine.stage';
import { checkPlausibility } from './stages/plausibility.stage';
import { RulesStage, TrackerVerdicts } from './stages/rules.stage';
import { telemetryRows } from './stages/store.stage';
import { ViolationsStage } from './stages/violations.stage';
import { TRACKER_TARGETS_CHANNEL, TrackerTargets } from './tracker-targets';

/**
 * Ingest's pipeline. Messages from every connection queue on the writer (lane) of their tracker; each turn of a
 * writer takes what has queued as one batch and passes it through the stages (`./stages`): decode, resolve the
 * tracker's machine, check plausibility, store, geofence and rules, integrity, violations and outbox. The batch
 * is written atomically, and a message's promise resolves only after that commit, so the acknowledgement to the
 * device or broker means "stored". One writer per tracker keeps its fixes in arrival order; the batch makes the
 * commit cost per fix small, and several writers keep the database busy while JavaScript prepares the next batch.
 */
@Injectable()
export class IngestPipeline implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private readonly lanes: Lanes<IncomingMessage>;
  readonly liveStates: LiveStateStore;
  readonly targets: TrackerTargets;
  private readonly machines: MachineStage;
  private readonly rulesStage: RulesStage;
  private readonly integrityStage: IntegrityStage;
  private readonly violations: ViolationsStage;
  private readonly loader: LiveStateLoader;
  private readonly sweeper: IntegritySweep;
  private readonly adoption: TrackerAdoption;
  private readonly reports: RejectionReports;
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
    this.machines = new MachineStage(this.targets, integrity);
    this.rulesStage = new RulesStage(rules);
    this.integrityStage = new IntegrityStage(integrity, store);
    this.violations = new ViolationsStage(store, rules, integrity);
    this.loader = new LiveStateLoader(this.liveStates, store, rules, integrity, counters);
    this.reports = new RejectionReports(counters);
    this.refused = new RefusedMessages(store, counters);
    this.lanes = new Lanes<IncomingMessage>(config.ingestWriters, config.ingestBatchMax, {
      process: (batch) => this.process(batch),
      settleFailed: (item, error) => this.refused.settle(item, error),
    });
    this.sweeper = new IntegritySweep(
      this.lanes,
      this.liveStates,
      store,
      integrity,
      this.integrityStage,
      this.violations,
    );
    this.adoption = new TrackerAdoption(this.lanes, this.liveStates, store, this.machines, this.loader);
  }

  usePublisher(publisher: DevicePublisher): void {
    this.reports.usePublisher(publisher);
  }

  /** Resolves once the message is handled for good (stored, or rejected with a reason); rejects if not stored. */
  submit(message: DeviceMessage): Promise<void> {
    const topic = parseDeviceTopic(message.topic);
    return this.lanes.submit(topic.ok ? topic.topic.imei : '', { message, topic });
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
    const targets = await this.machines.targetsOf(imeis, now);
    const known = imeis.filter((imei) => targets.has(imei));
    await holdingStates(this.liveStates, known, async () => {
      const states = await this.loader.load(known, targets, now);
      for (const item of batch) {
        this.machines.resolve(item, targets);
        checkPlausibility(item, fixesOf(item) ? states.get(item.imei as string) : undefined);
      }
      const rows = telemetryRows(batch);
      const changed = new Map<string, LiveState>();
      const verdicts: TrackerVerdicts[] = [];
      const inputs = new Map<LiveState, IntegrityInput[]>();
      for (const stored of rows.stored) {
        const state = states.get(stored.imei);
        if (!state) continue;
        if (stored.machine) {
          this.machines.bind(state, stored.machine, targets.get(stored.imei), now);
          const events = this.rulesStage.evaluate(state, stored.machine, stored);
          if (events) verdicts.push(events);
          this.integrityStage.addFixes(inputs, state, stored);
        }
        state.cursor = Math.max(state.cursor, stored.item.message.receivedAt.getTime());
        changed.set(stored.imei, state);
      }
      for (const item of batch) {
        const state = item.status && item.machine && item.imei ? states.get(item.imei) : undefined;
        if (!state || !item.machine) continue;
        this.machines.bind(state, item.machine, targets.get(state.imei), now);
        this.integrityStage.addStatus(inputs, state, item);
        changed.set(state.imei, state);
      }
      const alerts = (await this.integrityStage.evaluate(inputs, now)).flatMap((a) => a.events);
      const stored = await this.violations.write(rows, verdicts, alerts);
      await this.liveStates.committed([...changed.values()]);
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

/** Whether the message is on a channel of fixes (JSON or Teltonika). */
function fixesOf(item: BatchMessage): boolean {
  return item.channel === 'fixes' || item.channel === 'teltonika';
}
