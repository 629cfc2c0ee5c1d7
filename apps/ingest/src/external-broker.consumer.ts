import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { DeviceMessageHandler, DevicePublisher } from '@app/broker';
import { INBOUND_CHANNELS } from '@app/telemetry';

export const INGEST_SHARE_GROUP = 'centinela-ingest';

export function ingestSubscriptions(): string[] {
  return INBOUND_CHANNELS.map((channel) => `$share/${INGEST_SHARE_GROUP}/devices/+/${channel}`);
}

/**
 * Consumes device topics from an external broker (Mosquitto, EMQX) over MQTT 5 with a persistent session in a
 * shared-subscription group. A message is acknowledged only after the handler resolved (stored or rejected); if
 * the handler fails (database down) the consumer drops the connection without acknowledging, and the broker
 * delivers the message again when it reconnects.
 */
export class ExternalBrokerConsumer implements DevicePublisher {
  private readonly logger = new Logger('ExternalBroker');
  private client: MqttClient | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly options: {
      username?: string | undefined;
      password?: string | undefined;
      clientId?: string;
      reconnectMs?: number;
    },
    private readonly handler: DeviceMessageHandler,
  ) {}

  async start(): Promise<void> {
    const clientOptions: IClientOptions = {
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 7 * 24 * 3600 },
      clientId: this.options.clientId ?? `centinela-ingest-${randomUUID().slice(0, 8)}`,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      reconnectPeriod: this.options.reconnectMs ?? 1000,
      customHandleAcks: (topic, payload, _packet, done) => {
        this.handler({ topic, payload, receivedAt: new Date() }).then(
          () => done(0),
          (error: unknown) => this.withhold(topic, error),
        );
      },
    };
    const client = await mqtt.connectAsync(this.url, clientOptions);
    this.client = client;
    client.on('error', (error) => this.logger.warn(`broker connection: ${error.message}`));
    const granted = await client.subscribeAsync(ingestSubscriptions(), { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0)
      throw new Error(`the broker refused subscriptions: ${refused.map((g) => g.topic).join(', ')}`);
    this.logger.log(`consuming device topics from ${this.url} as ${clientOptions.clientId}`);
  }

  async publishToDevice(topic: string, payload: Buffer): Promise<void> {
    if (!this.client) throw new Error('not connected');
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.endAsync(true);
  }

  /** Leaves the message unacknowledged: reconnecting makes the broker deliver it again. */
  private withhold(topic: string, error: unknown): void {
    this.logger.warn(`not acknowledging ${topic}: ${error instanceof Error ? error.message : String(error)}`);
    const client = this.client;
    if (!client || this.stopped) return;
    client.end(true, () => {
      if (!this.stopped) setTimeout(() => client.reconnect(), this.options.reconnectMs ?? 1000);
    });
  }
}
