import { Logger } from '@nestjs/common';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DevicePublisher } from '@app/broker';
import { IngestCountersSnapshot, sumCounters } from '../ingest-counters';
import { FailedPublishes } from '../pipeline/device-receipts';
import type { AppConfig } from '@app/config';
import type { IncomingMessage } from '../stages/batch-message';
import type { FromWorker, ToWorker, WireMessage, WorkerData } from './protocol';

/** The young generation of each thread: the process's (`--max-semi-space-size`, three semi-spaces in V8). */
const YOUNG_GENERATION_MB = (() => {
  const flag = process.execArgv.find((arg) => arg.startsWith('--max-semi-space-size='));
  return flag ? 3 * Number(flag.split('=')[1]) : undefined;
})();

/** How long a worker thread that died waits before it is started again. */
const RESTART_MS = 1000;

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  readonly pending: Map<number, Pending>;
  outbox: WireMessage[];
  flushing: boolean;
  counters: IngestCountersSnapshot | undefined;
  /** Counters of the slot's earlier workers (before a restart). */
  earlier: IngestCountersSnapshot[];
}

/**
 * Ingest's worker threads (INGEST_WORKERS): each tracker's messages always go to the same thread (by IMEI), which
 * stores and evaluates them with a pipeline of its own; a message's promise settles when that thread reports it
 * stored (or rejected with a reason), so the acknowledgement to the broker still means "stored". A thread that dies
 * fails what it held (the broker delivers it again) and is started again.
 */
export class IngestWorkerPool {
  private readonly logger = new Logger('IngestWorkers');
  private readonly slots: Slot[];
  private publisher: DevicePublisher | undefined;
  private readonly publishFailures = new FailedPublishes();
  private nextId = 0;
  private stopping = false;

  constructor(private readonly config: AppConfig) {
    this.slots = Array.from({ length: config.ingestWorkers }, (_, index) => ({
      index,
      worker: undefined,
      pending: new Map(),
      outbox: [],
      flushing: false,
      counters: undefined,
      earlier: [],
    }));
  }

  usePublisher(publisher: DevicePublisher): void {
    this.publisher = publisher;
  }

  /** Starts every thread; resolves once each has loaded its geofence index and connected to its stores. */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
  }

  submit(incoming: IncomingMessage): Promise<void> {
    const { message, topic } = incoming;
    const slot = this.slots[slotOfImei(topic.ok ? topic.topic.imei : '', this.slots.length)] as Slot;
    const id = ++this.nextId;
    return new Promise<void>((resolve, reject) => {
      if (!slot.worker || this.stopping) {
        reject(new Error(`ingest worker ${slot.index} is not running`));
        return;
      }
      slot.pending.set(id, { resolve, reject });
      slot.outbox.push({
        id,
        topic: message.topic,
        payload: message.payload,
        receivedAt: message.receivedAt.getTime(),
        ...(message.authenticatedImei !== undefined ? { authenticatedImei: message.authenticatedImei } : {}),
        ...(topic.ok ? { imei: topic.topic.imei, channel: topic.topic.channel } : {}),
      });
      if (!slot.flushing) {
        slot.flushing = true;
        setImmediate(() => this.flush(slot));
      }
    });
  }

  counters(): IngestCountersSnapshot {
    return sumCounters(
      this.slots.flatMap((slot) => [...slot.earlier, ...(slot.counters ? [slot.counters] : [])]),
    );
  }

  /** Lets every thread finish what it was sent and keep its live states, then ends it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker) return;
        this.flush(slot);
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'stop' } satisfies ToWorker);
        await exited;
      }),
    );
  }

  private flush(slot: Slot): void {
    slot.flushing = false;
    if (slot.outbox.length === 0 || !slot.worker) return;
    const messages = slot.outbox;
    slot.outbox = [];
    slot.worker.postMessage({ type: 'messages', messages } satisfies ToWorker);
  }

  private spawn(slot: Slot): Promise<void> {
    const entry = path.join(__dirname, `ingest.worker${path.extname(__filename)}`);
    const workerData: WorkerData = {
      config: { ...this.config, ingestWorkers: 0 },
      slot: { index: slot.index, count: this.slots.length },
    };
    const worker = new Worker(entry, {
      workerData,
      // V8 flags are the process's and may not be given to a thread; only the TypeScript loader is (running from
      // sources: npm run start:*, tests), and the young generation the process was given as a resource limit.
      execArgv: entry.endsWith('.ts') ? ['--require', '@swc-node/register'] : [],
      ...(YOUNG_GENERATION_MB ? { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } } : {}),
    });
    slot.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            this.logger.log(`ingest worker ${slot.index} ready`);
            resolve();
            break;
          case 'failed':
            if (!ready) reject(new Error(`ingest worker ${slot.index} did not start: ${message.error}`));
            else this.logger.error(`ingest worker ${slot.index}: ${message.error}`);
            break;
          case 'settled':
            slot.counters = message.counters;
            for (const id of message.done) this.settle(slot, id);
            for (const { id, error } of message.failed) this.settle(slot, id, new Error(error));
            break;
          case 'publish':
            for (const { topic, payload, expirySeconds } of message.messages)
              void this.publisher
                ?.publishToDevice(
                  topic,
                  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
                  expirySeconds === undefined ? {} : { expirySeconds },
                )
                .catch((error: unknown) => this.publishFailures.failed(topic, error));
            break;
        }
      });
      worker.on('error', (error) =>
        this.logger.error(`ingest worker ${slot.index} failed: ${error.message}`),
      );
      worker.on('exit', (code) => {
        if (slot.worker !== worker) return;
        slot.worker = undefined;
        if (slot.counters) slot.earlier.push(slot.counters);
        slot.counters = undefined;
        const held = [...slot.pending.values()];
        slot.pending.clear();
        slot.outbox = [];
        for (const p of held) p.reject(new Error(`ingest worker ${slot.index} exited`));
        if (!ready) {
          reject(new Error(`ingest worker ${slot.index} exited (code ${code}) before it was ready`));
          return;
        }
        if (this.stopping) return;
        this.logger.error(`ingest worker ${slot.index} exited (code ${code}); starting it again`);
        setTimeout(() => {
          if (!this.stopping)
            this.spawn(slot).catch((error: unknown) =>
              this.logger.error(error instanceof Error ? error.message : String(error)),
            );
        }, RESTART_MS).unref();
      });
    });
  }

  private settle(slot: Slot, id: number, error?: Error): void {
    const pending = slot.pending.get(id);
    if (!pending) return;
    slot.pending.delete(id);
    if (error) pending.reject(error);
    else pending.resolve();
  }
}

/**
 * The thread of a topic's tracker, from its IMEI segment. Mixed (murmur3's finaliser) so that it is independent of
 * the writer a thread's pipeline picks from the same IMEI: otherwise two threads of two writers would each use one.
 */
export function slotOf(topic: string, slots: number): number {
  return slotOfImei(topic.split('/')[1] ?? '', slots);
}

export function slotOfImei(imei: string, slots: number): number {
  if (slots === 1) return 0;
  let h = 0;
  for (let i = 0; i < imei.length; i++) h = Math.imul(h ^ imei.charCodeAt(i), 16777619);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % slots;
}
