import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { DeviceTransport } from './device-transport';

export const INGEST_SHARE_GROUP = 'centinela-ingest';

export interface SharedSubscriptionOptions {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Stable across restarts: the broker keeps each connection's session (and its unacknowledged messages). */
  readonly instanceId: string;
  readonly connections: number;
  readonly reconnectMs?: number;
}

/** The shared subscriptions of ingest's topic filters. */
export function sharedSubscriptions(patterns: readonly string[]): string[] {
  return patterns.map((pattern) => `$share/${INGEST_SHARE_GROUP}/${pattern}`);
}

/**
 * Consumes device topics from an external broker (Mosquitto, EMQX) over MQTT 5: many connections with
 * persistent sessions in one shared-subscription group, each acknowledging a message only after the handler
 * resolved (stored or rejected). An MQTT client handles one QoS 1 message at a time per connection, so the
 * connections are what lets many messages wait for one group commit. If the handler fails (database down) the
 * connection is dropped without acknowledging, and the broker delivers the message again once it reconnects.
 */
export class SharedSubscriptionTransport extends DeviceTransport {
  private clients: MqttClient[] = [];
  private stopped = false;

  constructor(private readonly options: SharedSubscriptionOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topics = sharedSubscriptions(this.patterns());
      this.clients = await Promise.all(
        Array.from({ length: this.options.connections }, (_, i) => this.connect(i, topics)),
      );
      this.brokerUrl = this.options.url;
      this.logger.log(
        `consuming ${topics.join(', ')} from ${this.options.url} over ${this.clients.length} connections`,
      );
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  async publishToDevice(topic: string, payload: Buffer): Promise<void> {
    const client = this.clients.find((c) => c.connected);
    if (!client) throw new Error('not connected to the broker');
    await client.publishAsync(topic, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.clients.map((client) => client.endAsync(true)));
    this.clients = [];
  }

  private async connect(index: number, topics: string[]): Promise<MqttClient> {
    const clientId = `centinela-ingest-${this.options.instanceId}-${index}`;
    const connection: { client?: MqttClient } = {};
    const options: IClientOptions = {
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 7 * 24 * 3600 },
      clientId,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      reconnectPeriod: this.options.reconnectMs ?? 1000,
      customHandleAcks: (topic, payload, packet, done) => {
        this.dispatch({ topic, payload, receivedAt: new Date() }, { ...packet }).then(
          () => done(0),
          (error: unknown) => this.withhold(connection.client, topic, error),
        );
      },
    };
    const client = await mqtt.connectAsync(this.options.url, options);
    connection.client = client;
    client.on('error', (error) => this.logger.warn(`broker connection ${clientId}: ${error.message}`));
    const granted = await client.subscribeAsync(topics, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0)
      throw new Error(`the broker refused subscriptions: ${refused.map((g) => g.topic).join(', ')}`);
    return client;
  }

  /** Leaves the message unacknowledged: reconnecting makes the broker deliver it again. */
  private withhold(client: MqttClient | undefined, topic: string, error: unknown): void {
    this.logger.warn(`not acknowledging ${topic}: ${error instanceof Error ? error.message : String(error)}`);
    if (!client || this.stopped) return;
    client.end(true, () => {
      if (!this.stopped) setTimeout(() => client.reconnect(), this.options.reconnectMs ?? 1000).unref();
    });
  }
}
