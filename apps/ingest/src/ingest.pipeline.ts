import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceMessage, DevicePublisher } from '@app/broker';
import { NewPosition, PositionRow, Repositories, Store } from '@app/db';
import { DEFAULT_INDEX_PARAMS } from '@app/geofence';
import { Fix, RuleEvent, initialState } from '@app/rules';
import {
  DecodedFix,
  DeviceMessageResult,
  decodeDeviceMessage,
  errorsPayload,
  errorsTopic,
  isOnEarth,
  parseDeviceTopic,
} from '@app/telemetry';
import { IngestCounters } from './ingest-counters';
import { LiveState, LiveStateStore, MemoryLiveStateStore, RedisLiveStateStore } from './live-state';
import { MachineOfTracker, RulesEvaluator, toRuleFix } from './rules.evaluator';

/** The resolution of the H3 cell stored with every fix; the geofence index derives its coarser cells from it. */
export const POSITION_CELL_RESOLUTION = DEFAULT_INDEX_PARAMS.fineRes;

interface Pending {
  readonly message: DeviceMessage;
  resolve(): void;
  reject(error: unknown): void;
}

/** One writer: its queue and the turn in progress. */
interface Lane {
  readonly queue: Pending[];
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
export class IngestPipeline implements OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private readonly lanes: Lane[];
  private publisher: DevicePublisher | undefined;
  readonly liveStates: LiveStateStore;
  private readonly maxBatch: number;

  constructor(
    private readonly store: Store,
    readonly counters: IngestCounters,
    private readonly rules: RulesEvaluator,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxBatch = config.ingestBatchMax;
    this.lanes = Array.from({ length: config.ingestWriters }, () => ({ queue: [], draining: undefined }));
    this.liveStates = config.redisUrl
      ? new RedisLiveStateStore({
          url: config.redisUrl,
          prefix: `${config.redisKeyPrefix}live:`,
          instanceId: config.ingestInstanceId,
          maxStates: config.liveStateMax,
          flushEveryMs: config.liveStateFlushMs,
        })
      : new MemoryLiveStateStore(config.liveStateMax);
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

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.draining));
    await this.liveStates.close();
    this.logger.log(`ingest totals: ${JSON.stringify(this.counters.snapshot())}`);
  }

  private async drain(lane: Lane): Promise<void> {
    while (lane.queue.length > 0) {
      const batch = lane.queue.splice(0, this.maxBatch);
      try {
        await this.process(batch.map((p) => p.message));
        for (const p of batch) p.resolve();
      } catch (error) {
        if (batch.length === 1) {
          this.fail(batch[0] as Pending, error);
          continue;
        }
        // One message must not hold back the others: retry them one by one, so only what cannot be stored
        // (the database is down) stays unacknowledged.
        for (const p of batch) {
          try {
            await this.process([p.message]);
            p.resolve();
          } catch (single) {
            this.fail(p, single);
          }
        }
      }
    }
  }

  private fail(pending: Pending, error: unknown): void {
    this.counters.storageFailures++;
    pending.reject(error);
  }

  private async process(messages: readonly DeviceMessage[]): Promise<void> {
    const imeis = [...new Set(messages.flatMap((m) => fixChannelImei(m.topic) ?? []))];
    const targets = await this.store.repos.trackers.ingestTargets(imeis);
    const known = imeis.filter((imei) => targets.has(imei));
    const now = Math.max(...messages.map((m) => m.receivedAt.getTime()));
    const states = await this.loadStates(known, targets, now);
    try {
      const decoded = messages.map((message) => this.decode(message, states, targets));
      const written = await this.write(decoded, states);
      await this.liveStates.committed(written.changed);
      this.count(decoded, written);
      for (const d of decoded) void this.reportRejections(d);
    } catch (error) {
      this.liveStates.forget(known);
      throw error;
    }
  }

  private decode(
    message: DeviceMessage,
    states: Map<string, LiveState>,
    targets: Map<string, { machine: MachineOfTracker | null }>,
  ): Decoded {
    const imei = fixChannelImei(message.topic);
    const state = imei ? states.get(imei) : undefined;
    const previous = state?.lastFix;
    const result = decodeDeviceMessage(message.topic, message.payload, message.receivedAt, {
      ...(message.authenticatedImei !== undefined ? { authenticatedImei: message.authenticatedImei } : {}),
      ...(previous
        ? { previousFix: { deviceTime: new Date(previous.time), lat: previous.lat, lon: previous.lon } }
        : {}),
    });
    if (state) advanceLastFix(state, result.fixes);
    const target = result.imei ? targets.get(result.imei) : undefined;
    return target ? { message, result, machine: target.machine } : { message, result };
  }

  /**
   * Steps the batch's trusted fixes through the rules, then stores messages, fixes and what the verdicts change
   * atomically: one statement when no verdict changed (the common case), else one transaction.
   */
  private async write(decoded: readonly Decoded[], states: Map<string, LiveState>): Promise<Written> {
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
    for (const [i, d] of storing.entries()) {
      const imei = d.result.imei as string;
      const state = states.get(imei);
      if (!state) continue;
      if (d.machine) {
        const cells = rows[i] ?? [];
        const fixes = d.result.fixes.flatMap((fix, j) =>
          fix.trusted ? [toRuleFix(imei, fix, cells[j]?.h3_cell ?? null)] : [],
        );
        const events = this.rules.fold(state, d.machine, fixes);
        if (events.length > 0) verdicts.push({ imei, events });
      }
      state.cursor = Math.max(state.cursor, d.message.receivedAt.getTime());
      changed.set(imei, state);
    }
    const flat = rows.flat();
    const store = async (repos: Repositories) => {
      const stored = await repos.positions.storeTelemetry(messages, flat);
      await this.rules.write(repos, verdicts);
      return stored;
    };
    const stored =
      verdicts.length === 0 ? await store(this.store.repos) : await this.store.transaction(store);
    return { changed: [...changed.values()], stored, duplicates: flat.length - stored };
  }

  /**
   * The live state of each registered tracker: from memory or Redis, brought up to date from Postgres where it
   * may lag (another instance served the tracker, ingest restarted, Redis was lost).
   */
  private async loadStates(
    imeis: readonly string[],
    targets: Map<string, { machine: MachineOfTracker | null }>,
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
      for (const { state } of replays) this.replay(state, byImei.get(state.imei) ?? [], targets);
    }
    return states;
  }

  private replay(
    state: LiveState,
    rows: readonly PositionRow[],
    targets: Map<string, { machine: MachineOfTracker | null }>,
  ): void {
    if (rows.length === 0) return;
    const machine = targets.get(state.imei)?.machine;
    const fixes = rows.map(fixOfRow);
    if (machine) this.rules.fold(state, machine, fixes);
    for (const fix of fixes) {
      if (!state.lastFix || fix.time > state.lastFix.time)
        state.lastFix = {
          time: fix.time,
          receivedAt: fix.receivedAt,
          lat: fix.lat,
          lon: fix.lon,
          ...(fix.speedKmh !== undefined ? { speedKmh: fix.speedKmh } : {}),
          ...(fix.ignition !== undefined ? { ignition: fix.ignition } : {}),
        };
      state.cursor = Math.max(state.cursor, fix.receivedAt);
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
  if (lanes === 1) return 0;
  const imei = topic.split('/')[1] ?? '';
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

function advanceLastFix(state: LiveState, fixes: readonly DecodedFix[]): void {
  for (const fix of fixes) {
    if (!isOnEarth(fix.lat, fix.lon)) continue;
    const time = fix.deviceTime.getTime();
    if (state.lastFix && time <= state.lastFix.time) continue;
    state.lastFix = {
      time,
      receivedAt: fix.receivedAt.getTime(),
      lat: fix.lat,
      lon: fix.lon,
      ...(fix.speedKmh !== undefined ? { speedKmh: fix.speedKmh } : {}),
      ...(fix.ignition !== undefined ? { ignition: fix.ignition } : {}),
    };
  }
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
