/** What a lane does with what queued on it. */
export interface LaneWork<T> {
  /** Handles a batch for good (its items are then acknowledged); throws if it could not. */
  process(batch: readonly T[]): Promise<void>;
  /**
   * An item that failed on its own (alone, or retried alone after its batch failed): resolves if it is settled
   * anyway (acknowledged), rejects with the error to report otherwise (left unacknowledged).
   */
  settleFailed(item: T, error: unknown): Promise<void>;
  /**
   * Whether a batch that failed with `error` is retried in halves (the error lies in one item's data: the others
   * will go through, in a few writes whatever the batch's size) rather than item by item (the default).
   */
  splits?(error: unknown): boolean;
}

interface Pending<T> {
  readonly item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/** One writer: its queue, work that must not interleave with its batches (sweeps, adoption), the turn in progress. */
interface Lane<T> {
  readonly queue: Pending<T>[];
  readonly tasks: (() => Promise<void>)[];
  draining: Promise<void> | undefined;
}

/**
 * Ingest's writers (INGEST_WRITERS of them). Items queue on the lane of their key (a tracker's IMEI), so one
 * tracker's messages are handled in arrival order by one writer; each turn of a writer takes what has queued (up
 * to `maxBatch`) as one batch. A batch that fails is retried in parts (halves when an item's data is at fault,
 * else item by item), so one item does not hold back the others. Tasks (`exclusive`) run between two batches of their lane, never during one.
 */
export class Lanes<T> {
  private readonly lanes: Lane<T>[];

  constructor(
    count: number,
    private readonly maxBatch: number,
    private readonly work: LaneWork<T>,
  ) {
    this.lanes = Array.from({ length: count }, () => ({ queue: [], tasks: [], draining: undefined }));
  }

  get count(): number {
    return this.lanes.length;
  }

  /** The lane of a key: a stable hash of it. */
  laneOf(key: string): number {
    return laneOfImei(key, this.lanes.length);
  }

  /** Resolves once the item is handled for good; rejects if it is not. */
  submit(key: string, item: T): Promise<void> {
    const lane = this.lanes[this.laneOf(key)] as Lane<T>;
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ item, resolve, reject });
      this.wake(lane);
    });
  }

  /** Runs `task` on lane `index`'s writer, between its batches. */
  exclusive(index: number, task: () => Promise<void>): Promise<void> {
    const lane = this.lanes[index] as Lane<T>;
    return new Promise<void>((resolve, reject) => {
      lane.tasks.push(() => task().then(resolve, reject));
      this.wake(lane);
    });
  }

  /** Groups keys by their lane: `byLane()[i]` holds those of lane i. */
  byLane(keys: Iterable<string>): string[][] {
    const grouped = this.lanes.map((): string[] => []);
    for (const key of keys) grouped[this.laneOf(key)]?.push(key);
    return grouped;
  }

  /** Resolves once every lane has finished what it holds. */
  async idle(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.draining));
  }

  private wake(lane: Lane<T>): void {
    lane.draining ??= this.drain(lane).finally(() => (lane.draining = undefined));
  }

  private async drain(lane: Lane<T>): Promise<void> {
    while (lane.queue.length > 0 || lane.tasks.length > 0) {
      // A task (a slice of a sweep) and a batch take turns.
      const task = lane.tasks.shift();
      if (task) await task();
      if (lane.queue.length === 0) continue;
      await this.attempt(lane.queue.splice(0, this.maxBatch));
    }
  }

  /** Handles a batch (or part of one): its items are resolved once it is done, else it is retried in parts. */
  private async attempt(batch: readonly Pending<T>[]): Promise<void> {
    try {
      await this.work.process(batch.map((p) => p.item));
      for (const p of batch) p.resolve();
    } catch (error) {
      await this.retry(batch, error);
    }
  }

  /**
   * One item must not hold back the others: a failed batch is retried in halves, each halved again while it fails,
   * when the error lies in an item's data (`splits`), else item by item; an item that fails alone is settled. So only
   * the offending item is settled (refused), or, when the database is down, each stays unacknowledged. Parts run in
   * order, so one tracker's items are still handled in arrival order.
   */
  private async retry(batch: readonly Pending<T>[], error: unknown): Promise<void> {
    if (batch.length === 1) return this.settle(batch[0] as Pending<T>, error);
    if (this.work.splits?.(error)) {
      const middle = Math.ceil(batch.length / 2);
      await this.attempt(batch.slice(0, middle));
      await this.attempt(batch.slice(middle));
      return;
    }
    for (const p of batch) await this.attempt([p]);
  }

  private async settle(pending: Pending<T>, error: unknown): Promise<void> {
    try {
      await this.work.settleFailed(pending.item, error);
      pending.resolve();
    } catch (unsettled) {
      pending.reject(unsettled);
    }
  }
}

/** The lane of a tracker: a stable hash of its IMEI. */
export function laneOfImei(imei: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0;
  for (let i = 0; i < imei.length; i++) hash = (hash * 31 + imei.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}
