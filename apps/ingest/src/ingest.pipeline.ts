import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceMessage, DevicePublisher } from '@app/broker';
import {
  DATABASE,
  Database,
  IngestTarget,
  NewPosition,
  PositionRow,
  Repositories,
  Store,
  isDataRefusal,
  sqlStateOf,
} from '@app/db';
import { DEFAULT_INDEX_PARAMS } from '@app/geofence';
import {
  DeclaredWindow,
  IntegrityEvent,
  IntegrityFix,
  IntegrityInput,
  IntegrityState,
  fromDecodedFix,
  fromDeviceStatus,
  integrityStep,
  integritySweep,
} from '@app/integrity';
import { Fix, RuleEvent, initialState } from '@app/rules';
import {
  DecodeContext,
  DecodedFix,
  DeviceMessageResult,
  FIX_EVENTS,
  FIX_FLAGS,
  FixEvent,
  FixFlag,
  INBOUND_CHANNELS,
  decodeDeviceMessage,
  errorsPayload,
  errorsTopic,
  isOnEarth,
  parseDeviceTopic,
} from '@app/telemetry';
import { IngestCounters } from './ingest-counters';
import { IntegrityRun, IntegrityWriter } from './integrity.writer';
import { LastFix, LiveState, LiveStateStore, MemoryLiveStateStore, RedisLiveStateStore } from './live-state';
import { MachineOfTracker, RulesEvaluator, toRuleFix } from './rules.evaluator';
import { TRACKER_TARGETS_CHANNEL, TrackerTargets } from './tracker-targets';

/** Trackers swept in one turn of a writer. */
const SWEEP_SLICE = 1000;

/** How recent a tracker's last fix must be for ingest to take it over at start and watch it for going dark. */
const ADOPT_WITHIN_MS = 7 * 24 * 3_600_000;
/** Trackers whose states are rebuilt in one turn of a writer when taken over. */
const ADOPT_SLICE = 500;

/** The resolution of the H3 cell stored with every fix; the geofence index derives its coarser cells from it. */
export const POSITION_CELL_RESOLUTION = DEFAULT_INDEX_PARAMS.fineRes;

interface Pending {
  readonly message: DeviceMessage;
  resolve(): void;
  reject(error: unknown): void;
}

/** One writer: its queue, work that must not interleave with its batches (integrity sweeps), the turn in progress. */
interface Lane {
  readonly queue: Pending[];
  readonly tasks: (() => Promise<void>)[];
  draining: Promise<void> | undefined;
}

interface Written {
  /** The live states the batch changed, to keep once it committed. */
  readonly changed: LiveState[];
  readonly stored: number;
  readonly duplicates: number;
}

interface Decoded {
  readonly message: DeviceMessage;
  readonly result: DeviceMessageResult;
  /** Set when the fixes are to be stored: the tracker is registered. */
  readonly machine?: MachineOfTracker | null;
}

/**
 * Ingest's writers. Messages from every connection queue on the writer of their tracker (INGEST_WRITERS of them,
 * by IMEI); each turn of a writer takes what has queued (up to INGEST_BATCH_MAX messages) and stores it in one
 * transaction: the raw messages, every fix once with its H3 cell, and the violations and outbox events the rules
 * derive from them. A message's promise resolves only after that commit, so the acknowledgement to the device or
 * broker means "stored". One writer per tracker keeps its fixes in arrival order; the batch makes the commit cost
 * per fix small, and several writers keep the database busy while JavaScript prepares the next batch.
 */
@Injectable()
export class IngestPipeline implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private readonly lanes: Lane[];
  private publisher: DevicePublisher | undefined;
  readonly liveStates: LiveStateStore;
  private readonly maxBatch: number;
  private readonly sweepEveryMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private adopting: Promise<void> | undefined;
  readonly targets: TrackerTargets;
  private stopListening: (() => Promise<void>) | undefined;
  /** False in ingest's main thread when worker threads run the pipelines (INGEST_WORKERS): this one stays idle. */
  private readonly runsHere: boolean;

  constructor(
    private readonly store: Store,
    @Inject(DATABASE) private readonly database: Database,
    readonly counters: IngestCounters,
    private readonly rules: RulesEvaluator,
    private readonly integrity: IntegrityWriter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.runsHere = config.ingestWorkers === 0;
    this.maxBatch = config.ingestBatchMax;
    this.sweepEveryMs = config.integritySweepSeconds * 1000;
    this.lanes = Array.from({ length: config.ingestWriters }, () => ({
      queue: [],
      tasks: [],
      draining: undefined,
    }));
    this.liveStates =
      config.redisUrl && this.runsHere
        ? new RedisLiveStateStore({
            url: config.redisUrl,
            prefix: `${config.redisKeyPrefix}live:`,
            instanceId: config.ingestInstanceId,
            maxStates: config.liveStateMax,
            flushEveryMs: config.liveStateFlushMs,
          })
        : new MemoryLiveStateStore(config.liveStateMax);
    this.targets = new TrackerTargets(
      (imeis) => this.store.repos.trackers.ingestTargets(imeis),
      config.liveStateMax,
    );
  }

  usePublisher(publisher: DevicePublisher): void {
    this.publisher = publisher;
  }

  /** Resolves once the message is handled for good (stored, or rejected with a reason); rejects if not stored. */
  submit(message: DeviceMessage): Promise<void> {
    const lane = this.lanes[laneOf(message.topic, this.lanes.length)] as Lane;
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ message, resolve, reject });
      lane.draining ??= this.drain(lane).finally(() => (lane.draining = undefined));
    });
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
    await Promise.all(this.lanes.map((lane) => lane.draining));
    await this.liveStates.close();
    if (this.runsHere) this.logger.log(`ingest totals: ${JSON.stringify(this.counters.snapshot())}`);
  }

  /**
   * Sweeps the live states this instance holds for trackers gone silent (`integritySweep` at platform time
   * `now`) and writes the went-dark alerts it raises. Each writer sweeps its own trackers between two of its
   * batches, so a sweep never interleaves with a tracker's fixes.
   */
  async sweepIntegrity(now: number): Promise<void> {
    await this.integrity.refreshWindowMachines(this.store.repos, now, true);
    const byLane = this.lanes.map((): string[] => []);
    for (const imei of this.liveStates.held()) byLane[laneOfImei(imei, this.lanes.length)]?.push(imei);
    // In slices, so that a writer's batches wait for one slice at most.
    await Promise.all(
      this.lanes.flatMap((lane, i) => {
        const imeis = byLane[i] ?? [];
        const slices: Promise<void>[] = [];
        for (let k = 0; k < imeis.length; k += SWEEP_SLICE) {
          const slice = imeis.slice(k, k + SWEEP_SLICE);
          slices.push(this.exclusive(lane, () => this.sweepLane(slice, now)));
        }
        return slices;
      }),
    );
  }

  /**
   * Takes over, at start, the trackers that reported in the last week, that this instance may serve (`owns`: its
   * share when worker threads split them; with Redis, not those another instance served last) and holds no state
   * for. Their states are rebuilt from the stored positions, a slice at a time on each tracker's writer, so the
   * went-dark sweep also watches a tracker that fell silent while ingest was down, or that never reports again.
   * Returns how many trackers were taken over.
   */
  async adoptRecentTrackers(owns: (imei: string) => boolean, now: number): Promise<number> {
    const bound = (await this.store.repos.trackers.boundImeis()).filter(owns);
    let adopted = 0;
    for (let i = 0; i < bound.length; i += ADOPT_SLICE) {
      const candidates = await this.liveStates.adoptable(bound.slice(i, i + ADOPT_SLICE));
      const newest = await this.store.repos.positions.newestFixTimes(candidates);
      const recent = candidates.filter((imei) => (newest.get(imei)?.getTime() ?? 0) >= now - ADOPT_WITHIN_MS);
      const byLane = this.lanes.map((): string[] => []);
      for (const imei of recent) byLane[laneOfImei(imei, this.lanes.length)]?.push(imei);
      await Promise.all(
        this.lanes.map((lane, k) => {
          const imeis = byLane[k] ?? [];
          if (imeis.length === 0) return undefined;
          return this.exclusive(lane, async () => {
            adopted += await this.adopt(imeis, now);
          });
        }),
      );
    }
    return adopted;
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

  private async adopt(imeis: readonly string[], now: number): Promise<number> {
    const targets = await this.targets.of(imeis, now);
    const known = imeis.filter((imei) => targets.get(imei)?.machine);
    await this.holding(known, async () => {
      const states = await this.loadStates(known, targets, now);
      await this.liveStates.committed([...states.values()]);
    });
    return known.length;
  }

  /**
   * Runs `work` on the live states of `imeis`: held from the snapshots until it ends, and forgotten if it fails
   * (the copies in memory may then hold what was never committed).
   */
  private async holding(imeis: readonly string[], work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.liveStates.forget(imeis);
      throw error;
    } finally {
      this.liveStates.settled(imeis);
    }
  }

  /** Runs `task` on the lane's writer, between its batches. */
  private exclusive(lane: Lane, task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      lane.tasks.push(() => task().then(resolve, reject));
      lane.draining ??= this.drain(lane).finally(() => (lane.draining = undefined));
    });
  }

  private async sweepLane(imeis: readonly string[], now: number): Promise<void> {
    try {
      await this.sweepLoaded(imeis, now);
    } finally {
      this.liveStates.settled(imeis);
    }
  }

  private async sweepLoaded(imeis: readonly string[], now: number): Promise<void> {
    // With Redis, a state another instance has written since is not this instance's to sweep.
    const loaded = await this.liveStates.load(imeis);
    const states = imeis.flatMap((imei) => {
      const entry = loaded.get(imei);
      return entry?.state && !entry.replay && entry.state.integrity && entry.state.machine
        ? [entry.state]
        : [];
    });
    const sweep: IntegrityRun = (state, ctx) => integritySweep(state, now, ctx);
    const events = await this.runIntegrity(
      states.map((state) => ({ state, run: sweep })),
      now,
    );
    if (events.length === 0) return;
    const changed = [...new Set(events.map((e) => e.state))];
    try {
      await this.store.transaction((repos) =>
        this.integrity.write(
          repos,
          events.flatMap((e) => e.events),
        ),
      );
      await this.liveStates.committed(changed);
    } catch (error) {
      this.liveStates.forget(changed.map((state) => state.imei));
      throw error;
    }
  }

  /**
   * Runs the integrity detectors over each tracker's state, reading declared windows only for the machines whose
   * run needs them (windows in force, or an alert open); returns the events per tracker.
   */
  private async runIntegrity(
    runs: readonly { state: LiveState; run: IntegrityRun }[],
    now: number,
  ): Promise<{ state: LiveState; events: IntegrityEvent[] }[]> {
    if (runs.length === 0) return [];
    await this.integrity.refreshWindowMachines(this.store.repos, now);
    const needing = runs.flatMap((r) =>
      this.integrity.needsWindows(r.state) ? (r.state.machine?.machineId ?? []) : [],
    );
    const windows =
      needing.length === 0 ? undefined : await this.integrity.windowsOf(this.store.repos, needing, now);
    const none: DeclaredWindow[] = [];
    const out: { state: LiveState; events: IntegrityEvent[] }[] = [];
    for (const r of runs) {
      const events = this.integrity.runWith(
        r.state,
        windows?.get(r.state.machine?.machineId ?? '') ?? none,
        r.run,
      );
      if (events.length > 0) out.push({ state: r.state, events });
    }
    return out;
  }

  private async drain(lane: Lane): Promise<void> {
    while (lane.queue.length > 0 || lane.tasks.length > 0) {
      // A task (a slice of a sweep) and a batch take turns.
      const task = lane.tasks.shift();
      if (task) await task();
      if (lane.queue.length === 0) continue;
      const batch = lane.queue.splice(0, this.maxBatch);
      try {
        await this.process(batch.map((p) => p.message));
        for (const p of batch) p.resolve();
      } catch (error) {
        if (batch.length === 1) {
          await this.settleUnstored(batch[0] as Pending, error);
          continue;
        }
        // One message must not hold back the others: retry them one by one, so only what cannot be stored
        // (the database is down) stays unacknowledged.
        for (const p of batch) {
          try {
            await this.process([p.message]);
            p.resolve();
          } catch (single) {
            await this.settleUnstored(p, single);
          }
        }
      }
    }
  }

  /**
   * A message that failed on its own. If the database refused its data (retrying fails the same way), it is kept
   * whole in `refused_device_messages` with the reason, counted, and acknowledged: left unacknowledged, the broker
   * would deliver it without end and hold back the messages behind it on its connection. Anything else (the
   * database is unreachable) leaves it unacknowledged, for the broker to deliver again.
   */
  private async settleUnstored(pending: Pending, error: unknown): Promise<void> {
    if (!isDataRefusal(error)) {
      this.fail(pending, error);
      return;
    }
    const { message } = pending;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      await this.store.repos.positions.keepRefused({
        imei: trackerImei(message.topic),
        topic: message.topic,
        payload: message.payload,
        receivedAt: message.receivedAt,
        sqlstate: sqlStateOf(error),
        error: reason,
      });
    } catch (keeping) {
      this.fail(pending, keeping);
      return;
    }
    this.counters.countRejection('storage_refused');
    this.logger.error(
      `the database refused a message on ${message.topic} (${reason}); kept in refused_device_messages`,
    );
    pending.resolve();
  }

  private fail(pending: Pending, error: unknown): void {
    this.counters.storageFailures++;
    pending.reject(error);
  }

  private async process(messages: readonly DeviceMessage[]): Promise<void> {
    const imeis = [...new Set(messages.flatMap((m) => trackerImei(m.topic) ?? []))];
    const now = Math.max(...messages.map((m) => m.receivedAt.getTime()));
    const targets = await this.targets.of(imeis, now);
    const known = imeis.filter((imei) => targets.has(imei));
    await this.holding(known, async () => {
      const states = await this.loadStates(known, targets, now);
      const decoded = messages.map((message) => this.decode(message, states, targets));
      const written = await this.write(decoded, states, targets, now);
      await this.liveStates.committed(written.changed);
      this.count(decoded, written);
      for (const d of decoded) void this.reportRejections(d);
    });
  }

  private decode(
    message: DeviceMessage,
    states: Map<string, LiveState>,
    targets: Map<string, IngestTarget>,
  ): Decoded {
    const imei = fixChannelImei(message.topic);
    const state = imei ? states.get(imei) : undefined;
    const previous = state?.lastFix;
    const context: DecodeContext = {};
    if (message.authenticatedImei !== undefined) context.authenticatedImei = message.authenticatedImei;
    if (previous)
      context.previousFix = { deviceTime: new Date(previous.time), lat: previous.lat, lon: previous.lon };
    const result = decodeDeviceMessage(message.topic, message.payload, message.receivedAt, context);
    if (state)
      for (const fix of result.fixes)
        if (isOnEarth(fix.lat, fix.lon))
          advanceLastFix(state, {
            time: fix.deviceTime.getTime(),
            receivedAt: fix.receivedAt.getTime(),
            lat: fix.lat,
            lon: fix.lon,
            speedKmh: fix.speedKmh,
            ignition: fix.ignition,
          });
    const target = result.imei ? targets.get(result.imei) : undefined;
    return target ? { message, result, machine: target.machine } : { message, result };
  }

  /**
   * Steps the batch's trusted fixes through the rules and every fix and status message through the integrity
   * detectors, then stores messages, fixes and what the verdicts and alerts change atomically: one statement when
   * nothing changed (the common case), else one transaction.
   */
  private async write(
    decoded: readonly Decoded[],
    states: Map<string, LiveState>,
    targets: Map<string, IngestTarget>,
    now: number,
  ): Promise<Written> {
    const storing = decoded.filter((d) => d.machine !== undefined && d.result.fixes.length > 0);
    const messages = storing.map((d) => ({
      id: randomUUID(),
      imei: d.result.imei as string,
      topic: d.message.topic,
      payload: d.message.payload,
      receivedAt: d.message.receivedAt,
    }));
    const rows = storing.map((d, i) =>
      d.result.fixes.map((fix) =>
        positionRow(d.result.imei as string, (messages[i] as { id: string }).id, fix),
      ),
    );
    const changed = new Map<string, LiveState>();
    const verdicts: { imei: string; events: RuleEvent[] }[] = [];
    const inputs = new Map<LiveState, IntegrityInput[]>();
    for (let i = 0; i < storing.length; i++) {
      const d = storing[i] as Decoded;
      const imei = d.result.imei as string;
      const state = states.get(imei);
      if (!state) continue;
      if (d.machine) {
        this.bind(state, d.machine, targets.get(imei), now);
        const cells = rows[i] ?? [];
        const fixes: Fix[] = [];
        const list = inputs.get(state) ?? [];
        const decodedFixes = d.result.fixes;
        for (let j = 0; j < decodedFixes.length; j++) {
          const fix = decodedFixes[j] as DecodedFix;
          const id = `${imei}@${fix.deviceTime.toISOString()}`;
          if (fix.trusted) fixes.push(toRuleFix(imei, id, fix, cells[j]?.h3_cell ?? null));
          list.push({ type: 'fix', fix: fromDecodedFix(fix, id) });
        }
        inputs.set(state, list);
        const events = this.rules.fold(state, d.machine, fixes);
        if (events.length > 0) verdicts.push({ imei, events });
      }
      state.cursor = Math.max(state.cursor, d.message.receivedAt.getTime());
      changed.set(imei, state);
    }
    // Status messages are not stored, but the detectors quote the last one when a tracker goes dark. They keep
    // their place among the tracker's fixes.
    for (const d of decoded) {
      const state = d.result.status && d.machine && d.result.imei ? states.get(d.result.imei) : undefined;
      if (!state || !d.result.status || !d.machine) continue;
      this.bind(state, d.machine, targets.get(state.imei), now);
      const list = inputs.get(state) ?? [];
      const input: IntegrityInput = { type: 'status', status: fromDeviceStatus(d.result.status) };
      const at = list.findIndex((x) => x.type === 'fix' && x.fix.receivedAt > input.status.receivedAt);
      if (at < 0) list.push(input);
      else list.splice(at, 0, input);
      inputs.set(state, list);
      changed.set(state.imei, state);
    }
    const alerts = (
      await this.runIntegrity(
        [...inputs].map(([state, list]) => ({ state, run: (s, ctx) => stepAll(s, list, ctx) })),
        now,
      )
    ).flatMap((r) => r.events);
    const flat = rows.flat();
    const store = async (repos: Repositories) => {
      const stored = await repos.positions.storeTelemetry(messages, flat);
      await this.rules.write(repos, verdicts);
      await this.integrity.write(repos, alerts);
      return stored;
    };
    const stored =
      verdicts.length === 0 && alerts.length === 0
        ? await store(this.store.repos)
        : await this.store.transaction(store);
    return { changed: [...changed.values()], stored, duplicates: flat.length - stored };
  }

  /** Keeps the state's machine current: a tracker moved to another machine starts afresh (rules and integrity). */
  private bind(
    state: LiveState,
    machine: MachineOfTracker,
    target: IngestTarget | undefined,
    now: number,
  ): void {
    if (state.machineId !== machine.id) {
      state.machineId = machine.id;
      state.rules = undefined;
      state.integrity = undefined;
    }
    state.machine = this.integrity.machineOf(machine, target ?? {}, state.machine);
    state.integrity ??= this.integrity.fresh(state.imei, now);
  }

  /**
   * The live state of each registered tracker: from memory or Redis, brought up to date from Postgres where it
   * may lag (another instance served the tracker, ingest restarted, Redis was lost).
   */
  private async loadStates(
    imeis: readonly string[],
    targets: Map<string, IngestTarget>,
    now: number,
  ): Promise<Map<string, LiveState>> {
    const loaded = await this.liveStates.load(imeis);
    const states = new Map<string, LiveState>();
    const replays: { state: LiveState; receivedAfter: Date; takenFrom: Date }[] = [];
    const historyMs = this.rules.params.historyMs;
    const lost = imeis.filter((imei) => loaded.get(imei)?.replay && !loaded.get(imei)?.state);
    const newest = await this.store.repos.positions.newestFixTimes(lost);
    for (const imei of imeis) {
      const entry = loaded.get(imei);
      let state = entry?.state;
      if (state) {
        states.set(imei, state);
        if (entry?.replay)
          replays.push({
            state,
            receivedAfter: new Date(state.cursor),
            takenFrom: new Date((state.lastFix?.time ?? 0) - historyMs),
          });
        continue;
      }
      // Episode numbers must not repeat those of violations opened before the state was lost.
      const rules = initialState(imei);
      rules.seq = now;
      state = {
        imei,
        machineId: targets.get(imei)?.machine?.id ?? null,
        lastFix: undefined,
        rules,
        integrity: undefined,
        cursor: 0,
      };
      states.set(imei, state);
      const newestFix = newest.get(imei);
      if (newestFix)
        replays.push({
          state,
          receivedAfter: new Date(0),
          takenFrom: new Date(newestFix.getTime() - historyMs),
        });
    }
    if (replays.length > 0) {
      const rows = await this.store.repos.positions.replayable(
        replays.map((r) => ({ imei: r.state.imei, receivedAfter: r.receivedAfter, takenFrom: r.takenFrom })),
      );
      const byImei = new Map<string, PositionRow[]>();
      for (const row of rows) {
        const list = byImei.get(row.imei) ?? [];
        list.push(row);
        byImei.set(row.imei, list);
      }
      for (const { state } of replays) this.replay(state, byImei.get(state.imei) ?? [], targets, now);
    }
    return states;
  }

  private replay(
    state: LiveState,
    rows: readonly PositionRow[],
    targets: Map<string, IngestTarget>,
    now: number,
  ): void {
    if (rows.length === 0) return;
    const target = targets.get(state.imei);
    const machine = target?.machine;
    const fixes = rows.map(fixOfRow);
    if (machine) {
      this.bind(state, machine, target, now);
      this.rules.fold(
        state,
        machine,
        fixes.filter((_, i) => (rows[i] as PositionRow).trusted),
      );
      // The detectors' events were written when the fixes first arrived; only their state is rebuilt.
      const inputs = rows.map((row): IntegrityInput => ({ type: 'fix', fix: integrityFixOfRow(row) }));
      this.integrity.runWith(state, [], (s, ctx) => stepAll(s, inputs, ctx));
    }
    for (const [i, fix] of fixes.entries()) {
      state.cursor = Math.max(state.cursor, fix.receivedAt);
      if (!(rows[i] as PositionRow).trusted) continue;
      advanceLastFix(state, fix);
    }
    this.counters.statesRebuilt++;
  }

  private count(decoded: readonly Decoded[], written: Written): void {
    this.counters.messages += decoded.length;
    this.counters.batches++;
    this.counters.batchedMessages += decoded.length;
    this.counters.fixesStored += written.stored;
    this.counters.fixesDuplicate += written.duplicates;
    for (const d of decoded) {
      if (d.result.status) this.counters.statusMessages++;
      if (d.result.imei && d.result.fixes.length > 0 && d.machine === undefined) {
        // Defence in depth: the broker should never let an unregistered tracker publish. Nothing is stored and
        // nothing is sent back to a device the registry does not know.
        this.counters.countRejection('unknown_tracker');
        this.logger.warn(`dropped a message of unregistered tracker ${d.result.imei} on ${d.message.topic}`);
        continue;
      }
      for (const rejection of d.result.rejections) this.counters.countRejection(rejection.reason);
    }
  }

  private async reportRejections(d: Decoded): Promise<void> {
    const { imei, rejections } = d.result;
    if (!this.publisher || !imei || rejections.length === 0) return;
    if (d.result.fixes.length > 0 && d.machine === undefined) return;
    try {
      const payload = errorsPayload(d.message.topic, d.message.receivedAt, d.result.fixes.length, rejections);
      await this.publisher.publishToDevice(errorsTopic(imei), Buffer.from(JSON.stringify(payload)));
    } catch (error) {
      this.logger.warn(
        `could not publish rejections to ${imei}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** The writer of a topic's tracker: a stable hash of the topic's IMEI segment. */
function laneOf(topic: string, lanes: number): number {
  return laneOfImei(topic.split('/')[1] ?? '', lanes);
}

export function laneOfImei(imei: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0;
  for (let i = 0; i < imei.length; i++) hash = (hash * 31 + imei.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}

function fixChannelImei(topic: string): string | undefined {
  const parsed = parseDeviceTopic(topic);
  if (!parsed.ok) return undefined;
  return parsed.topic.channel === 'fixes' || parsed.topic.channel === 'teltonika'
    ? parsed.topic.imei
    : undefined;
}

/** The tracker whose live state a message concerns: its fixes, or its status messages. */
function trackerImei(topic: string): string | undefined {
  const parsed = parseDeviceTopic(topic);
  return parsed.ok && INBOUND_CHANNELS.includes(parsed.topic.channel) ? parsed.topic.imei : undefined;
}

/** Steps the integrity detectors over a tracker's inputs, in order. */
function stepAll(
  state: IntegrityState,
  inputs: readonly IntegrityInput[],
  ctx: Parameters<IntegrityRun>[1],
): { state: IntegrityState; events: IntegrityEvent[] } {
  let current = state;
  const events: IntegrityEvent[] = [];
  for (const input of inputs) {
    const result = integrityStep(current, input, ctx);
    current = result.state;
    events.push(...result.events);
  }
  return { state: current, events };
}

/** A stored fix as the integrity detectors take it. */
function integrityFixOfRow(row: PositionRow): IntegrityFix {
  const fix: IntegrityFix = {
    id: `${row.imei}@${row.fix_time.toISOString()}`,
    deviceTime: row.fix_time.getTime(),
    receivedAt: row.received_at.getTime(),
    lat: row.lat,
    lon: row.lon,
    events: row.events.filter((e): e is FixEvent => (FIX_EVENTS as readonly string[]).includes(e)),
    flags: row.flags.filter((f): f is FixFlag => (FIX_FLAGS as readonly string[]).includes(f)),
  };
  if (row.speed_kmh !== null) fix.speedKmh = row.speed_kmh;
  if (row.ignition !== null) fix.ignition = row.ignition;
  if (row.hdop !== null) fix.hdop = row.hdop;
  if (row.satellites !== null) fix.satellites = row.satellites;
  if (row.external_voltage_v !== null) fix.externalVoltageV = row.external_voltage_v;
  if (row.battery_v !== null) fix.batteryV = row.battery_v;
  if (row.sequence !== null) fix.sequence = Number(row.sequence);
  if (row.events.includes('towing')) fix.towing = true;
  if (row.events.includes('unplug')) fix.unplugged = true;
  return fix;
}

/** Keeps the newer of the tracker's last fix and `fix`. */
function advanceLastFix(state: LiveState, fix: LastFix): void {
  if (state.lastFix && fix.time <= state.lastFix.time) return;
  state.lastFix = {
    time: fix.time,
    receivedAt: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    ...(fix.speedKmh !== undefined ? { speedKmh: fix.speedKmh } : {}),
    ...(fix.ignition !== undefined ? { ignition: fix.ignition } : {}),
  };
}

export function positionRow(imei: string, messageId: string, fix: DecodedFix): NewPosition {
  return {
    imei,
    fix_time: fix.deviceTime,
    received_at: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    h3_cell: isOnEarth(fix.lat, fix.lon) ? latLngToCell(fix.lat, fix.lon, POSITION_CELL_RESOLUTION) : null,
    speed_kmh: fix.speedKmh ?? null,
    heading_deg: fix.headingDeg ?? null,
    altitude_m: fix.altitudeM ?? null,
    hdop: fix.hdop ?? null,
    pdop: fix.pdop ?? null,
    satellites: fix.satellites ?? null,
    ignition: fix.ignition ?? null,
    external_voltage_v: fix.externalVoltageV ?? null,
    battery_v: fix.batteryV ?? null,
    events: fix.events,
    flags: fix.flags,
    trusted: fix.trusted,
    sequence: fix.sequence ?? null,
    source: fix.source,
    message_id: messageId,
    message_index: fix.index,
  };
}

/** A stored fix as the rules take it, with its stored cell. */
function fixOfRow(row: PositionRow): Fix {
  return {
    deviceId: row.imei,
    id: `${row.imei}@${row.fix_time.toISOString()}`,
    time: row.fix_time.getTime(),
    receivedAt: row.received_at.getTime(),
    lat: row.lat,
    lon: row.lon,
    ...(row.h3_cell ? { cell: row.h3_cell } : {}),
    ...(row.speed_kmh !== null ? { speedKmh: row.speed_kmh } : {}),
    ...(row.ignition !== null ? { ignition: row.ignition } : {}),
    ...(row.hdop !== null ? { hdop: row.hdop } : {}),
    ...(row.satellites !== null ? { satellites: row.satellites } : {}),
    ...(row.events.includes('towing') ? { towed: true } : {}),
  };
}
