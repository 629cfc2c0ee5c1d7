import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { IntegrityMachine, IntegrityState, parseIntegrityState } from '@app/integrity';
import { DeviceState, parseState } from '@app/rules';

/** The newest position a tracker reported, as the console and the decoder's jump check need it. */
export interface LastFix {
  readonly time: number;
  readonly receivedAt: number;
  readonly lat: number;
  readonly lon: number;
  readonly speedKmh?: number;
  readonly ignition?: boolean;
}

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

interface Snapshot {
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
  const snapshot: Snapshot = { v: 1, imei: state.imei, machineId: state.machineId, cursor: state.cursor };
  if (state.lastFix) snapshot.lastFix = state.lastFix;
  if (state.rules) snapshot.rules = JSON.stringify(state.rules);
  if (state.integrity) snapshot.integrity = JSON.stringify(state.integrity);
  return JSON.stringify(snapshot);
}

export function parseLiveState(json: string): LiveState {
  const snapshot = JSON.parse(json) as Snapshot;
  if (snapshot.v !== 1) throw new Error(`live state version ${String(snapshot.v)} is not 1`);
  return {
    imei: snapshot.imei,
    machineId: snapshot.machineId,
    lastFix: snapshot.lastFix,
    rules: snapshot.rules ? parseState(snapshot.rules) : undefined,
    integrity: snapshot.integrity ? parseIntegrityState(snapshot.integrity, snapshot.imei) : undefined,
    cursor: snapshot.cursor,
  };
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
  load(imeis: readonly string[]): Promise<Map<string, LoadedState>>;
  /** After the transaction that folded these states committed. */
  committed(states: readonly LiveState[]): Promise<void>;
  /** A copy in memory that may no longer match what was committed (a failed transaction). */
  forget(imeis: readonly string[]): void;
  /** The trackers whose states this instance holds in memory (those the integrity sweep looks at). */
  held(): string[];
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The embedded mode: one process, nothing shared; after a restart states are rebuilt from Postgres. */
export class MemoryLiveStateStore implements LiveStateStore {
  private readonly states = new Map<string, LiveState>();

  constructor(private readonly maxStates: number) {}

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

  held(): string[] {
    return [...this.states.keys()];
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

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
  private commits = 0;
  /** Tells this run's register values from those of an earlier run of the same instance. */
  private readonly run = randomBytes(4).toString('hex');
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: RedisLiveStateOptions) {
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: 2000,
    });
    this.redis.on('error', () => undefined);
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.flushEveryMs);
    this.timer.unref();
  }

  private key(kind: 'state' | 'writer', imei: string): string {
    return `${this.options.prefix}${kind}:${imei}`;
  }

  async load(imeis: readonly string[]): Promise<Map<string, LoadedState>> {
    const loaded = new Map<string, LoadedState>();
    if (imeis.length === 0) return loaded;
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
    const pipeline = this.redis.pipeline();
    for (const state of states) {
      const value = `${this.options.instanceId}:${this.run}:${++this.commits}`;
      pipeline.set(this.key('writer', state.imei), value);
      this.written.set(state.imei, value);
      remember(this.states, state, this.options.maxStates);
      this.dirty.add(state.imei);
    }
    await pipeline.exec();
  }

  forget(imeis: readonly string[]): void {
    for (const imei of imeis) {
      this.states.delete(imei);
      this.written.delete(imei);
      this.dirty.delete(imei);
    }
  }

  held(): string[] {
    return [...this.states.keys()];
  }

  /** Writes the snapshots changed since the last flush. */
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

  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const imeis = [...this.dirty];
    this.dirty.clear();
    const pipeline = this.redis.pipeline();
    for (const imei of imeis) {
      const state = this.states.get(imei);
      if (state) pipeline.set(this.key('state', imei), serializeLiveState(state));
    }
    try {
      await pipeline.exec();
    } catch (error) {
      for (const imei of imeis) if (this.states.has(imei)) this.dirty.add(imei);
      throw error;
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
