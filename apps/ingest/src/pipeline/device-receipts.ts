import { Logger } from '@nestjs/common';
import { DevicePublisher } from '@app/broker';
import { Fix, receiptPayloads, receiptsTopic } from '@app/telemetry';
import type { StoredMessage } from '../stages/store.stage';

/**
 * How long a broker keeps a receipt for a tracker that is away (MQTT 5 Message Expiry Interval), in seconds. A
 * tracker that stays offline longer re-sends the fixes it holds when it is back, and gets them receipted again
 * (the store keeps one fix per tracker and time); the bound keeps the broker's queue of an offline tracker small.
 */
export const RECEIPT_EXPIRY_SECONDS = 3600;

/**
 * End-to-end receipts: after the commit that stored a batch, each tracker of the batch is told which of its fixes
 * are stored, on `devices/{imei}/receipts` (QoS 1): one receipt per tracker and batch (a flushed buffer of more
 * than 500 fixes in a few), naming each fix by its device time and sequence. Fixes the store already had (a
 * re-send) are stored too and receipted as well; refused fixes and messages are not (they are reported on
 * `devices/{imei}/errors`). The firmware keeps a fix until its receipt, not merely its PUBACK, so a broker that
 * loses a message it acknowledged costs a re-send, not the fix. Publishing never delays the acknowledgement: a
 * receipt that cannot be published (broker unreachable) is dropped, and the tracker re-sends after its timeout.
 */
export class DeviceReceipts {
  private publisher: DevicePublisher | undefined;
  private readonly failures = new FailedPublishes();

  usePublisher(publisher: DevicePublisher): void {
    this.publisher = publisher;
  }

  /** Publishes the receipts of a committed batch's stored messages (fire and forget). */
  send(stored: readonly StoredMessage[]): void {
    const publisher = this.publisher;
    if (!publisher || stored.length === 0) return;
    const byTracker = new Map<string, Fix[]>();
    for (const { imei, item } of stored) {
      let fixes = byTracker.get(imei);
      if (!fixes) byTracker.set(imei, (fixes = []));
      for (const fix of item.fixes) fixes.push(fix);
    }
    for (const [imei, fixes] of byTracker) {
      const topic = receiptsTopic(imei);
      for (const payload of receiptPayloads(fixes))
        publisher
          .publishToDevice(topic, Buffer.from(JSON.stringify(payload)), {
            expirySeconds: RECEIPT_EXPIRY_SECONDS,
          })
          .catch((error: unknown) => this.failures.failed(topic, error));
    }
  }
}

/** Messages to devices that could not be published, logged at most once every `everyMs` with how many failed. */
export class FailedPublishes {
  private readonly logger = new Logger('Ingest');
  private unreported = 0;
  private lastLogged = 0;

  constructor(private readonly everyMs = 10_000) {}

  failed(topic: string, error: unknown, now = Date.now()): void {
    this.unreported++;
    if (now - this.lastLogged < this.everyMs) return;
    this.logger.warn(
      `could not publish ${this.unreported} message(s) to devices, the last to ${topic}: ${error instanceof Error ? error.message : String(error)}`,
    );
    this.unreported = 0;
    this.lastLogged = now;
  }
}
