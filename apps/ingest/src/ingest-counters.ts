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

  snapshot() {
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
