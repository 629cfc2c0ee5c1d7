import { Injectable } from '@nestjs/common';

/** What ingest has done since it started, by outcome; served by the stats endpoint and logged. */
@Injectable()
export class IngestCounters {
  messages = 0;
  fixesStored = 0;
  fixesDuplicate = 0;
  statusMessages = 0;
  readonly rejections: Record<string, number> = {};
  storageFailures = 0;
  /** Transactions (or single statements) that stored messages, and the messages they held. */
  batches = 0;
  batchedMessages = 0;
  /** Live states rebuilt from stored positions (ingest restarted, Redis lost, another instance served the tracker). */
  statesRebuilt = 0;

  countRejection(reason: string): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  snapshot(): IngestCountersSnapshot {
    return {
      messages: this.messages,
      fixesStored: this.fixesStored,
      fixesDuplicate: this.fixesDuplicate,
      statusMessages: this.statusMessages,
      rejections: { ...this.rejections },
      storageFailures: this.storageFailures,
      statesRebuilt: this.statesRebuilt,
      batches: this.batches,
      batchedMessages: this.batchedMessages,
    };
  }
}

export interface IngestCountersSnapshot {
  readonly messages: number;
  readonly fixesStored: number;
  readonly fixesDuplicate: number;
  readonly statusMessages: number;
  readonly rejections: Readonly<Record<string, number>>;
  readonly storageFailures: number;
  readonly statesRebuilt: number;
  readonly batches: number;
  readonly batchedMessages: number;
}

/** The counters of several ingest threads, added up. */
export function sumCounters(snapshots: readonly IngestCountersSnapshot[]): IngestCountersSnapshot {
  const rejections: Record<string, number> = {};
  for (const s of snapshots)
    for (const [reason, n] of Object.entries(s.rejections))
      rejections[reason] = (rejections[reason] ?? 0) + n;
  const total = (pick: (s: IngestCountersSnapshot) => number) =>
    snapshots.reduce((sum, s) => sum + pick(s), 0);
  return {
    messages: total((s) => s.messages),
    fixesStored: total((s) => s.fixesStored),
    fixesDuplicate: total((s) => s.fixesDuplicate),
    statusMessages: total((s) => s.statusMessages),
    rejections,
    storageFailures: total((s) => s.storageFailures),
    statesRebuilt: total((s) => s.statesRebuilt),
    batches: total((s) => s.batches),
    batchedMessages: total((s) => s.batchedMessages),
  };
}
