import { DevicePublishOptions } from '@app/broker';
import { ConsumerConnection } from '@app/mqtt-consumer';
import { DeviceTransport } from './device-transport';

export const INGEST_SHARE_GROUP = 'centinela-ingest';

export interface SharedSubscriptionOptions {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Stable across restarts: the broker keeps each connection's session (and its unacknowledged messages). */
  readonly instanceId: string;
  readonly connections: number;
  /** Messages each connection may hold unacknowledged (MQTT 5 Receive Maximum). */
  readonly inflightPerConnection: number;
  readonly reconnectMs?: number;
}

/** The shared subscriptions of ingest's topic filters. */
export function sharedSubscriptions(patterns: readonly string[]): string[] {
  return patterns.map((pattern) => `$share/${INGEST_SHARE_GROUP}/${pattern}`);
}

/**
 * Consumes device topics from an external broker (Mosquitto, EMQX) over MQTT 5: a few connections with persistent
 * sessions in one shared-subscription group, each holding up to `inflightPerConnection` messages and acknowledging
 * each one only after the handler resolved (stored or rejected), so that thousands of messages wait for one group
 * commit. If the handler fails (database down) the connection is dropped without acknowledging, and the broker
 * delivers what it held again once it reconnects.
 */
export class SharedSubscriptionTransport extends DeviceTransport {
  private connections: ConsumerConnection[] = [];
  private nextPublisher = 0;

  constructor(private readonly options: SharedSubscriptionOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topics = sharedSubscriptions(this.patterns());
      this.connections = Array.from(
        { length: this.options.connections },
        (_, i) =>
          new ConsumerConnection({
            url: this.options.url,
            clientId: `centinela-ingest-${this.options.instanceId}-${i}`,
            username: this.options.username,
            password: this.options.password,
            subscriptions: topics,
            sessionExpirySeconds: 7 * 24 * 3600,
            receiveMaximum: this.options.inflightPerConnection,
            reconnectMs: this.options.reconnectMs ?? 1000,
            onMessage: (topic, payload) =>
              this.dispatch({ topic, payload, receivedAt: new Date() }, { topic }),
            onWarning: (message) => this.logger.warn(message),
          }),
      );
      await Promise.all(this.connections.map((connection) => connection.start()));
      this.brokerUrl = this.options.url;
      this.logger.log(
        `consuming ${topics.join(', ')} from ${this.options.url} over ${this.connections.length} connections × ${this.options.inflightPerConnection} messages in flight`,
      );
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  /** Publishes over the connections in turn (those connected), so that no one connection carries every receipt. */
  async publishToDevice(topic: string, payload: Buffer, options: DevicePublishOptions = {}): Promise<void> {
    const count = this.connections.length;
    for (let tries = 0; tries < count; tries++) {
      const connection = this.connections[this.nextPublisher++ % count] as ConsumerConnection;
      if (connection.connected) return connection.publish(topic, payload, options);
    }
    throw new Error('not connected to the broker');
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
    this.connections = [];
  }
}
