import { Logger } from '@nestjs/common';
import { DevicePublisher } from '@app/broker';
import { errorsPayload, errorsTopic, hasUntrustedClock } from '@app/telemetry';
import { IngestCounters } from '../ingest-counters';
import type { BatchMessage } from '../stages/batch-message';

/**
 * What a committed batch is counted as (`GET /v1/ingest/stats`), and the rejections sent back to each device on
 * `devices/{imei}/errors`. A message of a tracker the registry does not know is dropped: counted, never answered.
 */
export class RejectionReports {
  private readonly logger = new Logger('Ingest');
  private publisher: DevicePublisher | undefined;

  constructor(private readonly counters: IngestCounters) {}

  usePublisher(publisher: DevicePublisher): void {
    this.publisher = publisher;
  }

  /** Counts a committed batch: its messages, fixes stored and already stored, status messages and rejections. */
  count(batch: readonly BatchMessage[], stored: number, duplicates: number): void {
    this.counters.messages += batch.length;
    this.counters.batches++;
    this.counters.batchedMessages += batch.length;
    this.counters.fixesStored += stored;
    this.counters.fixesDuplicate += duplicates;
    for (const item of batch) {
      if (item.status) this.counters.statusMessages++;
      if (unregistered(item)) {
        // Defence in depth: the broker should never let an unregistered tracker publish. Nothing is stored and
        // nothing is sent back to a device the registry does not know.
        this.counters.countRejection('unknown_tracker');
        this.logger.warn(`dropped a message of unregistered tracker ${item.imei} on ${item.message.topic}`);
        continue;
      }
      for (const rejection of item.rejections) this.counters.countRejection(rejection.reason);
    }
  }

  /**
   * Publishes the message's rejections and its stored fixes of untrusted clock to its device, if any; a failure
   * to publish is logged, not raised.
   */
  async report(item: BatchMessage): Promise<void> {
    const { imei, rejections } = item;
    if (!this.publisher || !imei || unregistered(item)) return;
    if (rejections.length === 0 && !item.fixes.some(hasUntrustedClock)) return;
    try {
      const payload = errorsPayload(
        item.message.topic,
        item.message.receivedAt,
        item.fixes.length,
        rejections,
        item.fixes,
      );
      await this.publisher.publishToDevice(errorsTopic(imei), Buffer.from(JSON.stringify(payload)));
    } catch (error) {
      this.logger.warn(
        `could not publish rejections to ${imei}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function unregistered(item: BatchMessage): boolean {
  return item.imei !== undefined && item.fixes.length > 0 && item.machine === undefined;
}
