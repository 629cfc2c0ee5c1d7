import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { DevicePublishOptions } from '@app/broker';
import { ConsumerConnection } from '@app/mqtt-consumer';
import type { IngestSessionIdentity } from '@app/db';
import { DeviceTransport } from './device-transport';
import { SessionDrainer, SessionRegistry, brokerKey } from './session-drainer';

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
  /**
   * The registry of the broker sessions ingest has used (`ingest_sessions`): this instance's client ids are
   * recorded there, and the sessions no instance holds any more are drained.
   */
  readonly sessions?: {
    readonly registry: SessionRegistry;
    readonly leaseSeconds: number;
    /** Whether to drain (INGEST_SESSION_DRAIN); the client ids are recorded either way. */
    readonly drain: boolean;
    readonly quietMs: number;
  };
}

/** How long the broker keeps an ingest session while its client is away. */
export const INGEST_SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;

/** The client id of connection `index` of ingest instance `instanceId`. */
export function ingestClientId(instanceId: string, index: number): string {
  return `centinela-ingest-${instanceId}-${index}`;
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
 * delivers what it held again once it reconnects. With `sessions`, the client ids are recorded in the registry of
 * ingest's sessions and the sessions no instance uses any more are drained through the same handlers
 * (`SessionDrainer`).
 */
export class SharedSubscriptionTransport extends DeviceTransport {
  private connections: ConsumerConnection[] = [];
  private nextPublisher = 0;
  private drainer: SessionDrainer | undefined;

  constructor(private readonly options: SharedSubscriptionOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topics = sharedSubscriptions(this.patterns());
      const own: IngestSessionIdentity[] = Array.from({ length: this.options.connections }, (_, i) => ({
        clientId: ingestClientId(this.options.instanceId, i),
        instanceId: this.options.instanceId,
        connectionIndex: i,
      }));
      this.connections = own.map(({ clientId }) => this.connection(clientId, topics));
      const sessions = this.options.sessions;
      if (sessions) {
        this.drainer = new SessionDrainer({
          broker: brokerKey(this.options.url),
          owner: `${this.options.instanceId}@${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`,
          own,
          registry: sessions.registry,
          leaseSeconds: sessions.leaseSeconds,
          drain: sessions.drain,
          concurrency: this.options.connections,
          quietMs: sessions.quietMs,
          openDrain: (clientId) => this.connection(clientId, topics),
          log: (message) => this.logger.log(message),
          warn: (message) => this.logger.warn(message),
        });
        // Recorded as this instance's before they connect: no other instance drains them from now on.
        await this.drainer.claimOwn();
      }
      await Promise.all(this.connections.map((connection) => connection.start()));
      this.brokerUrl = this.options.url;
      this.logger.log(
        `consuming ${topics.join(', ')} from ${this.options.url} over ${this.connections.length} connections × ${this.options.inflightPerConnection} messages in flight (client ids ${ingestClientId(this.options.instanceId, 0)} …)`,
      );
      this.drainer?.start();
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  /** A connection with this client id in ingest's share group, handing every message to the handlers. */
  private connection(clientId: string, topics: readonly string[]): ConsumerConnection {
    return new ConsumerConnection({
      url: this.options.url,
      clientId,
      username: this.options.username,
      password: this.options.password,
      subscriptions: topics,
      sessionExpirySeconds: INGEST_SESSION_EXPIRY_SECONDS,
      receiveMaximum: this.options.inflightPerConnection,
      reconnectMs: this.options.reconnectMs ?? 1000,
      onMessage: (topic, payload) => this.dispatch({ topic, payload, receivedAt: new Date() }, { topic }),
      onWarning: (message) => this.logger.warn(message),
    });
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
    const drainer = this.drainer;
    this.drainer = undefined;
    await drainer?.stop();
    await Promise.all(this.connections.map((connection) => connection.close()));
    this.connections = [];
    // Released once its connections are closed: its sessions may be drained from now on.
    await drainer?.release();
  }
}
