import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { failFastRedis, redisReady } from '@app/platform/redis';
import { IntegrityMachine, IntegrityState, checkIntegrityState, parseIntegrityState } from '@app/integrity';
import { DeviceState, STATE_VERSION, checkState } from '@app/rules';
import { Fix, FixFlag, isOnEarth } from '@app/telemetry';

/** The newest position a tracker reported, as the console and the plausibility check need it: part of a fix. */
export type LastFix = Readonly<Pick<Fix, 'time' | 'receivedAt' | 'lat' | 'lon' | 'speedKmh' | 'ignition'>>;

/** Everything ingest keeps about one tracker between messages. */
export interface LiveState {
  readonly imei: string;
  /** The machine the rule state belongs to: a tracker moved to another machine starts afresh. */
  machineId: string | null;
  lastFix: LastFix | undefined;
  rules: DeviceState | undefined;
  /** The integrity monitor's state (went dark, power, tamper, jamming, spoofing) for the same machine. */
  integrity: IntegrityState | undefined;
  /** The machine as the integrity detectors see it (category, reporting intervals): set by every batch, not kept in the snapshot. */
  machine?: IntegrityMachine;
  /** Newest arrival time (epoch ms) of the fixes folded into this state; replay starts after it. */
  cursor: number;
}

/** A snapshot as written: one JSON document, the rule and integrity states nested in it. */
interface Snapshot {
  v: 2;
  imei: string;
  machineId: string | null;
  lastFix?: LastFix;
  rules?: DeviceState;
  integrity?: IntegrityState;
  cursor: number;
}

/** A snapshot as written before version 2: the nested states as JSON strings of their own. */
interface SnapshotV1 {
  v: 1;
  imei: string;
  machineId: string | null;
  lastFix?: LastFix;
  rules?: string;
  /** Absent in snapshots written before ingest ran the integrity detectors: a fresh state. */
  integrity?: string;
  cursor: number;
}

export function serializeLiveState(state: LiveState): string {
  const snapshot: Snapshot = { v: 2, imei: state.imei, machineId: state.machineId, cursor: state.cursor };
  if (state.lastFix) snapshot.lastFix = state.lastFix;
  if (state.rules) snapshot.rules = state.rules;
  if (state.integrity) snapshot.integrity = state.integrity;
  return JSON.stringify(snapshot);
}

export function parseLiveState(json: string): LiveState {
  const snapshot = JSON.parse(json) as Snapshot | SnapshotV1;
  if (snapshot.v !== 1 && snapshot.v !== 2)
    throw new Error(`live state version ${String((snapshot as { v: unknown }).v)} is not 2`);
  const { rules, integrity } = snapshot;
  return {
    imei: snapshot.imei,
    machineId: snapshot.machineId,
    lastFix: snapshot.lastFix,
    rules: rules === undefined ? undefined : rulesStateOrFresh(rules),
    integrity:
      integrity === undefined
        ? undefined
        : typeof integrity === 'string'
          ? parseIntegrityState(integrity, snapshot.imei)
          : checkIntegrityState(integrity, snapshot.imei),
    cursor: snapshot.cursor,
  };
}

/**
 * The rule state of a snapshot, or none (a fresh one) when it was written in an earlier format: presence is then
 * confirmed again from the next fixes, and the open violations continue under the new episodes.
 */
function rulesStateOrFresh(rules: unknown): DeviceState | undefined {
  const value: unknown = typeof rules === 'string' ? JSON.parse(rules) : rules;
  if ((value as { v?: unknown } | null)?.v !== STATE_VERSION) return undefined;
  return checkState(value);
}

/** What the store knows of a tracker: a state to continue from, and whether it may lag behind Postgres. */
export interface LoadedState {
  readonly state: LiveState | undefined;
  /** True when positions stored after `state.cursor` (or, without a state, recent ones) must be replayed. */
  readonly replay: boolean;
}

/**
 * Where the live state of every tracker lives. Ingest keeps the states of the trackers it serves in memory (the
 * rule state is large; parsing it at every fix would cost more than the rules themselves) and, with Redis,
 * shares them with the other ingest instances: snapshots are written behind, and a register names the instance
 * that last committed fixes of each tracker, so an instance whose copy is stale replays what it missed from
 * Postgres, the source of truth.
 */
export interface LiveStateStore {
  /** Resolves once the store can be used. */
  connected(): Promise<void>;
  /** The states of these trackers, held for a batch (or sweep) until `settled`: not snapshotted meanwhile. */
  load(imeis: readonly string[]): Promise<Map<string, LoadedState>>;
  /** The batch that loaded these trackers' states committed or failed (`committed` or `forget` came first). */
  settled(imeis: readonly string[]): void;
  /** After the transaction that folded these states committed. */
  committed(states: readonly LiveState[]): Promise<void>;
  /** A copy in memory that may no longer match what was committed (a failed transaction). */
  forget(imeis: readonly string[]): void;
  /** The trackers whose states this instance holds in memory (those the integrity sweep looks at). */
  held(): string[];
  /**
   * Among trackers not held here, those this instance may take over at start: with Redis, those it served last
   * (a restart) or nobody did; another live instance keeps its own.
   */
  adoptable(imeis: readonly string[]): Promise<string[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The embedded mode: one process, nothing shared; after a restart states are rebuilt from Postgres. */
export class MemoryLiveStateStore implements LiveStateStore {
  private readonly states = new Map<string, LiveState>();

  constructor(private readonly maxStates: number) {}

  async connected(): Promise<void> {}

  async load(imeis: readonly string[]): Promise<Map<string, LoadedState>> {
    const loaded = new Map<string, LoadedState>();
    for (const imei of imeis) {
      const state = this.states.get(imei);
      loaded.set(imei, state ? { state, replay: false } : { state: undefined, replay: true });
    }
    return loaded;
  }

  async committed(states: readonly LiveState[]): Promise<void> {
    for (const state of states) remember(this.states, state, this.maxStates);
  }

  forget(imeis: readonly string[]): void {
    for (const imei of imeis) this.states.delete(imei);
  }

  settled(): void {}

  held(): string[] {
    return [...this.states.keys()];
  }

  async adoptable(imeis: readonly string[]): Promise<string[]> {
    return imeis.filter((imei) => !this.states.has(imei));
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Snapshots serialised and written to Redis in one go. */
const FLUSH_SLICE = 250;

export interface RedisLiveStateOptions {
  readonly url: string;
  readonly prefix: string;
  /** Distinguishes this ingest instance in the writer register. */
  readonly instanceId: string;
  readonly maxStates: number;
  /** How often dirty snapshots are written to Redis. */
  readonly flushEveryMs: number;
}

export class RedisLiveStateStore implements LiveStateStore {
  private readonly redis: Redis;
  private readonly states = new Map<string, LiveState>();
  /** The register value this instance wrote last for each tracker it serves. */
  private readonly written = new Map<string, string>();
  private readonly dirty = new Set<string>();
  /** Trackers in a batch that has not committed yet: their states in memory may hold fixes never stored. */
  private readonly busy = new Map<string, number>();
  private commits = 0;
  /** Tells this run's register values from those of an earlier run of the same instance. */
  private readonly run = randomBytes(4).toString('hex');
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: RedisLiveStateOptions) {
    this.redis = failFastRedis(options.url);
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.flushEveryMs);
    this.timer.unref();
  }

  /** Resolves once connected to Redis (commands fail while it is not: nothing waits in an offline queue). */
  connected(): Promise<void> {
    return redisReady(this.redis);
  }

  private key(kind: 'state' | 'writer', imei: string): string {
    return `${this.options.prefix}${kind}:${imei}`;
  }

  async load(imeis: readonly string[]): Promise<Map<string, LoadedState>> {
    const loaded = new Map<string, LoadedState>();
    if (imeis.length === 0) return loaded;
    for (const imei of imeis) this.busy.set(imei, (this.busy.get(imei) ?? 0) + 1);
    const writers = await this.redis.mget(imeis.map((imei) => this.key('writer', imei)));
    const stale: string[] = [];
    imeis.forEach((imei, i) => {
      const local = this.states.get(imei);
      const writer = writers[i];
      if (local && writer === this.written.get(imei)) loaded.set(imei, { state: local, replay: false });
      else stale.push(imei);
    });
    if (stale.length === 0) return loaded;
    const snapshots = await this.redis.mget(stale.map((imei) => this.key('state', imei)));
    stale.forEach((imei, i) => {
      this.states.delete(imei);
      this.written.delete(imei);
      this.dirty.delete(imei);
      const json = snapshots[i];
      loaded.set(imei, { state: json ? parseLiveState(json) : undefined, replay: true });
    });
    return loaded;
  }

  async committed(states: readonly LiveState[]): Promise<void> {
    if (states.length === 0) return;
    const register: string[] = [];
    for (const state of states) {
      const value = `${this.options.instanceId}:${this.run}:${++this.commits}`;
      register.push(this.key('writer', state.imei), value);
      this.written.set(state.imei, value);
      remember(this.states, state, this.options.maxStates);
      this.dirty.add(state.imei);
    }
    await this.redis.mset(register);
  }

  forget(imeis: readonly string[]): void {
    for (const imei of imeis) {
      this.states.delete(imei);
      this.written.delete(imei);
      this.dirty.delete(imei);
    }
  }

  settled(imeis: readonly string[]): void {
    for (const imei of imeis) {
      const count = (this.busy.get(imei) ?? 1) - 1;
      if (count > 0) this.busy.set(imei, count);
      else this.busy.delete(imei);
    }
  }

  held(): string[] {
    return [...this.states.keys()];
  }

  async adoptable(imeis: readonly string[]): Promise<string[]> {
    const candidates = imeis.filter((imei) => !this.states.has(imei));
    if (candidates.length === 0) return [];
    const writers = await this.redis.mget(candidates.map((imei) => this.key('writer', imei)));
    const own = `${this.options.instanceId}:`;
    return candidates.filter((_, i) => {
      const writer = writers[i];
      return writer === null || writer === undefined || writer.startsWith(own);
    });
  }

  /** Writes the snapshots changed since the last flush (those of trackers in an uncommitted batch wait for the next). */
  flush(): Promise<void> {
    this.flushing ??= this.writeDirty().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      this.redis.disconnect();
    }
  }

  /**
   * Writes the dirty snapshots a slice at a time: serialising thousands of states at once would hold the event
   * loop (and every acknowledgement waiting on it) for as long.
   */
  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const imeis = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < imeis.length; i += FLUSH_SLICE) {
      const slice = imeis.slice(i, i + FLUSH_SLICE);
      const pipeline = this.redis.pipeline();
      for (const imei of slice) {
        const state = this.states.get(imei);
        if (!state) continue;
        if (this.busy.has(imei)) this.dirty.add(imei);
        else pipeline.set(this.key('state', imei), serializeLiveState(state));
      }
      try {
        await pipeline.exec();
      } catch (error) {
        for (const imei of imeis.slice(i)) if (this.states.has(imei)) this.dirty.add(imei);
        throw error;
      }
    }
  }
}

function remember(states: Map<string, LiveState>, state: LiveState, max: number): void {
  states.delete(state.imei);
  states.set(state.imei, state);
  if (states.size > max) {
    const oldest = states.keys().next().value;
    if (oldest !== undefined) states.delete(oldest);
  }
}

/** Flags that make a fix unusable as the tracker's last, its position or its time (the plausibility check's own rule). */
const REFERENCE_DOUBTS: readonly FixFlag[] = [
  'null_island',
  'out_of_range',
  'no_gnss_fix',
  'impossible_speed',
  'clock',
];

/**
 * Keeps the newer of the tracker's last fix and `fix`, if its position is usable: as the fixes arrive and when
 * they are replayed from storage alike. A wild position does not become the reference the next fix is judged by.
 */
export function advanceLastFix(state: LiveState, fix: Fix): void {
  if (state.lastFix && fix.time <= state.lastFix.time) return;
  if (!isOnEarth(fix.lat, fix.lon)) return;
  for (const flag of fix.flags) if (REFERENCE_DOUBTS.includes(flag)) return;
  state.lastFix = lastFixOf(fix);
}

/** The part of a fix the live state keeps. */
export function lastFixOf(fix: Fix): LastFix {
  const last: { -readonly [K in keyof LastFix]: LastFix[K] } = {
    time: fix.time,
    receivedAt: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
  };
  if (fix.speedKmh !== undefined) last.speedKmh = fix.speedKmh;
  if (fix.ignition !== undefined) last.ignition = fix.ignition;
  return last;
}
