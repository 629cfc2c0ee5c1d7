import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import * as net from 'node:net';
import Aedes from 'aedes';
import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import { AGENCY_USERNAME_PREFIX, DeviceAccessService } from '../registry-access/device-access.service';
import { DeviceDirectory } from '../device-directory';
import { DeviceMessageHandler, DevicePublisher } from '../device-message';

const NOT_AUTHORIZED = 5;
const BAD_USERNAME_OR_PASSWORD = 4;

export interface BrokerCounters {
  connectionsAccepted: number;
  connectionsRefused: Record<string, number>;
  publishesRefused: number;
  subscriptionsRefused: number;
}

/**
 * The in-process MQTT 3.1.1 broker of the embedded mode (Aedes). Trackers authenticate against the registry;
 * a device's PUBACK is sent only after the message handler has stored (or rejected) the message, so an
 * acknowledged fix is never lost. MQTT 5 clients are refused by Aedes; they need an external broker.
 */
@Injectable()
export class EmbeddedBroker implements DeviceDirectory, DevicePublisher, OnModuleDestroy {
  private readonly logger = new Logger('EmbeddedBroker');
  private readonly aedes: Aedes;
  private server: net.Server | undefined;
  private handler: DeviceMessageHandler | undefined;
  private readonly connected = new Map<string, Client>();
  /** Clients that authenticated as an agency's system, with the agency's code. */
  private readonly agencies = new WeakMap<Client, string>();
  readonly counters: BrokerCounters = {
    connectionsAccepted: 0,
    connectionsRefused: {},
    publishesRefused: 0,
    subscriptionsRefused: 0,
  };

  constructor(private readonly access: DeviceAccessService) {
    this.aedes = new Aedes({
      authenticate: (client, username, password, done) =>
        void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => void this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
    });
    this.aedes.on('client', (client) => this.connected.set(client.id, client));
    this.aedes.on('clientDisconnect', (client) => {
      if (this.connected.get(client.id) === client) this.connected.delete(client.id);
    });
  }

  setMessageHandler(handler: DeviceMessageHandler): void {
    this.handler = handler;
  }

  async listen(host: string, port: number): Promise<string> {
    const server = net.createServer(this.aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as net.AddressInfo;
    return `mqtt://${host}:${address.port}`;
  }

  async credentialsIssued(imei: string): Promise<void> {
    this.disconnect(imei);
  }

  async accessWithdrawn(imei: string): Promise<void> {
    this.disconnect(imei);
  }

  /** Drops the sessions of an agency's systems (its credential was revoked or rotated). */
  disconnectAgency(code: string): void {
    for (const client of this.connected.values()) {
      if (this.agencies.get(client) === code) {
        this.logger.log(`disconnecting agency ${code}: its credentials changed`);
        client.close();
      }
    }
  }

  publishToDevice(topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private disconnect(imei: string): void {
    const client = this.connected.get(imei);
    if (client) {
      this.logger.log(`disconnecting ${imei}: its credentials changed`);
      client.close();
    }
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): Promise<void> {
    try {
      if (username?.startsWith(AGENCY_USERNAME_PREFIX)) {
        // The client id starts with the username, so an agency can never take over a tracker's session.
        const code = client.id.startsWith(username)
          ? await this.access.authenticateAgency(username, password?.toString('utf8') ?? '')
          : undefined;
        if (code) {
          this.agencies.set(client, code);
          this.counters.connectionsAccepted++;
          return done(null, true);
        }
        this.counters.connectionsRefused['wrong_secret'] =
          (this.counters.connectionsRefused['wrong_secret'] ?? 0) + 1;
        const refused = new Error('wrong_secret') as AuthenticateError;
        refused.returnCode = BAD_USERNAME_OR_PASSWORD;
        return done(refused, false);
      }
      const decision = await this.access.authenticate(
        client.id,
        username ?? '',
        password?.toString('utf8') ?? '',
      );
      if (decision.allowed) {
        this.counters.connectionsAccepted++;
        return done(null, true);
      }
      this.counters.connectionsRefused[decision.reason] =
        (this.counters.connectionsRefused[decision.reason] ?? 0) + 1;
      const error = new Error(decision.reason) as AuthenticateError;
      error.returnCode =
        decision.reason === 'wrong_secret' || decision.reason === 'unknown_tracker'
          ? BAD_USERNAME_OR_PASSWORD
          : NOT_AUTHORIZED;
      done(error, false);
    } catch (error) {
      this.logger.error(
        `authentication of ${client.id} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      const unavailable = new Error('registry unavailable') as AuthenticateError;
      unavailable.returnCode = 3;
      done(unavailable, false);
    }
  }

  private async authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
  ): Promise<void> {
    if (!client) return done(null);
    const agency = this.agencies.get(client);
    if (agency !== undefined || !this.access.authorize(client.id, packet.topic, 'publish')) {
      this.counters.publishesRefused++;
      return done(new Error(`${client.id} may not publish to ${packet.topic}`));
    }
    if (!this.handler) return done(new Error('ingest is not ready'));
    try {
      await this.handler({
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        receivedAt: new Date(),
        authenticatedImei: client.id,
      });
      done(null);
    } catch (error) {
      // No PUBACK: the device keeps the message and sends it again after reconnecting.
      this.logger.warn(
        `message of ${client.id} not stored, not acknowledged: ${error instanceof Error ? error.message : String(error)}`,
      );
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private authorizeSubscribe(
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const agency = this.agencies.get(client);
    const allowed =
      agency !== undefined
        ? this.access.authorizeAgency(agency, subscription.topic, 'subscribe')
        : this.access.authorize(client.id, subscription.topic, 'subscribe');
    if (allowed) return done(null, subscription);
    this.counters.subscriptionsRefused++;
    done(null, null);
  }
}
