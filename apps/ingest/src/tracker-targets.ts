import { IngestTarget, NotificationListener } from '@app/db';

/** Notification channel of changes to trackers' targets (a trigger on bindings, trackers and machines). */
export const TRACKER_TARGETS_CHANNEL = 'tracker_targets';

/** A target is read again after this long even if no change was notified: a bound on any missed notification. */
export const TRACKER_TARGET_TTL_MS = 5 * 60_000;

interface Cached {
  /** Null: no tracker of that IMEI is registered. */
  readonly target: IngestTarget | null;
  readonly readAt: number;
}

/**
 * The machine, category and reporting intervals of each tracker ingest serves, kept in memory between batches
 * instead of read for every batch. The registry's changes are notified (`tracker_targets`); each one drops every
 * target held, and so does losing the notifications' connection: until listening again, every batch reads its
 * targets from the database. A read that began before a change is not kept.
 */
export class TrackerTargets implements NotificationListener {
  private readonly cached = new Map<string, Cached>();
  /** Counts the changes (and losses) seen, so a read that overlapped one is not kept. */
  private generation = 0;
  private listeningNow = false;

  constructor(
    private readonly read: (imeis: readonly string[]) => Promise<Map<string, IngestTarget>>,
    private readonly maxEntries: number,
    private readonly ttlMs = TRACKER_TARGET_TTL_MS,
  ) {}

  listening(): void {
    this.dropAll();
    this.listeningNow = true;
  }

  notified(): void {
    this.dropAll();
  }

  lost(): void {
    this.listeningNow = false;
    this.dropAll();
  }

  /** The targets of the registered trackers among `imeis`, at platform time `now`. */
  async of(imeis: readonly string[], now: number): Promise<Map<string, IngestTarget>> {
    const targets = new Map<string, IngestTarget>();
    const missing: string[] = [];
    for (const imei of imeis) {
      const cached = this.listeningNow ? this.cached.get(imei) : undefined;
      if (!cached || now - cached.readAt > this.ttlMs || now < cached.readAt) missing.push(imei);
      else if (cached.target) targets.set(imei, cached.target);
    }
    if (missing.length === 0) return targets;
    const generation = this.generation;
    const read = await this.read(missing);
    const keep = this.listeningNow && generation === this.generation;
    for (const imei of missing) {
      const target = read.get(imei) ?? null;
      if (target) targets.set(imei, target);
      if (keep) this.remember(imei, { target, readAt: now });
    }
    return targets;
  }

  private remember(imei: string, entry: Cached): void {
    this.cached.delete(imei);
    this.cached.set(imei, entry);
    if (this.cached.size > this.maxEntries) {
      const oldest = this.cached.keys().next().value;
      if (oldest !== undefined) this.cached.delete(oldest);
    }
  }

  private dropAll(): void {
    this.generation++;
    this.cached.clear();
  }
}
