import { Logger } from '@nestjs/common';
import { Store, isDataRefusal, sqlStateOf } from '@app/db';
import { INBOUND_CHANNELS } from '@app/telemetry';
import { IngestCounters } from '../ingest-counters';
import type { IncomingMessage } from '../stages/batch-message';

/**
 * A message that failed on its own. If the database refused its data (retrying fails the same way), it is kept
 * whole in `refused_device_messages` with the reason, counted, and acknowledged: left unacknowledged, the broker
 * would deliver it without end and hold back the messages behind it on its connection. Anything else (the
 * database is unreachable) leaves it unacknowledged, for the broker to deliver again.
 */
export class RefusedMessages {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly store: Store,
    private readonly counters: IngestCounters,
  ) {}

  /** Resolves once the message is kept (acknowledge it); rejects with the error to report otherwise. */
  async settle(incoming: IncomingMessage, error: unknown): Promise<void> {
    if (!isDataRefusal(error)) this.fail(error);
    const { message, topic } = incoming;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      await this.store.repos.positions.keepRefused({
        imei: topic.ok && INBOUND_CHANNELS.includes(topic.topic.channel) ? topic.topic.imei : undefined,
        topic: message.topic,
        payload: message.payload,
        receivedAt: message.receivedAt,
        sqlstate: sqlStateOf(error),
        error: reason,
      });
    } catch (keeping) {
      this.fail(keeping);
    }
    this.counters.countRejection('storage_refused');
    this.logger.error(
      `the database refused a message on ${message.topic} (${reason}); kept in refused_device_messages`,
    );
  }

  private fail(error: unknown): never {
    this.counters.storageFailures++;
    throw error;
  }
}
