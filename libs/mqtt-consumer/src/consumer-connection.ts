import * as mqttPacket from 'mqtt-packet';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';

export interface ConsumerConnectionOptions {
  /** `mqtt:` or `mqtts:` (TCP or TLS). */
  readonly url: string;
  /** Stable across restarts: the broker keeps this client's session, and the messages it has not acknowledged. */
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Topic filters subscribed at QoS 1. */
  readonly subscriptions: readonly string[];
  /** How long the broker keeps the session while the client is away. */
  readonly sessionExpirySeconds: number;
  /** QoS 1 messages the broker may send before the first of them is acknowledged (MQTT 5 Receive Maximum). */
  readonly receiveMaximum: number;
  readonly keepaliveSeconds?: number;
  readonly reconnectMs?: number;
  readonly connectTimeoutMs?: number;
  /** Handles one message; the message is acknowledged once this resolves. */
  readonly onMessage: (topic: string, payload: Buffer) => Promise<void>;
  /** A lost connection, a refused message, a protocol error: the connection reconnects by itself. */
  readonly onWarning?: (message: string) => void;
}

/** A QoS 1 message received and not yet acknowledged, in the order received. */
interface Unacknowledged {
  readonly id: number;
  handled: boolean;
}

interface Outgoing {
  resolve(): void;
  reject(error: Error): void;
}

/** A QoS 1 publish of this client waiting for room under the broker's Receive Maximum. */
interface Waiting extends Outgoing {
  readonly packet: mqttPacket.IPublishPacket;
}

/** Options of one publish of this client. */
export interface PublishOptions {
  /** MQTT 5 Message Expiry Interval: the broker drops the message if it is not delivered within as many seconds. */
  readonly expirySeconds?: number;
}

/** Publishes of this client held while the broker's Receive Maximum is reached; beyond, a publish is refused. */
const MAX_WAITING_PUBLISHES = 10_000;

/** One network session: what belongs to it is dropped with it (its unacknowledged messages come again). */
interface Session {
  readonly stream: Duplex;
  readonly parser: mqttPacket.Parser;
  readonly unacknowledged: Unacknowledged[];
  readonly outgoing: Map<number, Outgoing>;
  /** Publishes beyond the broker's Receive Maximum (its CONNACK), sent as acknowledgements free room. */
  readonly waiting: Waiting[];
  /** QoS 1 publishes the broker takes unacknowledged at once (MQTT 5 Receive Maximum of its CONNACK). */
  sendQuota: number;
  /** Publishes of this turn of the event loop leave in one socket write (the stream is corked until the next tick). */
  corked: boolean;
  ready: boolean;
  lastReceived: number;
  flushScheduled: boolean;
  /** Reading is paused while the session holds `receiveMaximum` unacknowledged messages. */
  paused: boolean;
  ended: boolean;
}

const PROTOCOL = { protocolVersion: 5 } as const;

/**
 * A subscriber's MQTT 5 connection that acknowledges each QoS 1 message only after its handler resolved, while
 * keeping up to `receiveMaximum` messages in flight. Acknowledgements go out in the order the messages came, as
 * MQTT requires, and those ready together leave in one socket write. A general-purpose client (mqtt.js) holds one
 * unacknowledged message per connection; this lets a consumer wait for one commit with thousands of messages over
 * a few connections. If a handler fails, the connection is dropped without acknowledging what it holds and opened
 * again: the broker delivers those messages again (a persistent session), the handlers must be idempotent.
 * Packets are read and written with mqtt-packet; only the session rules are here.
 */
export class ConsumerConnection {
  private session: Session | undefined;
  private stopped = false;
  /** Set once the first session was ready: from then on a lost connection is opened again. */
  private started = false;
  private nextPacketId = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConsumerConnectionOptions) {}

  get connected(): boolean {
    return this.session?.ready === true;
  }

  /** Whether it has stopped reading: it holds `receiveMaximum` unacknowledged messages. */
  get holdingBack(): boolean {
    return this.session?.paused === true;
  }

  /** Connects and subscribes; rejects if the first attempt fails (later losses reconnect by themselves). */
  async start(): Promise<void> {
    await this.open();
    this.started = true;
    this.keepaliveTimer = setInterval(() => this.keepAlive(), (this.keepaliveSeconds() * 1000) / 2);
    this.keepaliveTimer.unref();
  }

  /**
   * Publishes at QoS 1; resolves when the broker acknowledged. At most the broker's Receive Maximum are in flight;
   * more wait for room (up to a bound, then the publish is refused).
   */
  publish(topic: string, payload: Buffer, options: PublishOptions = {}): Promise<void> {
    const session = this.session;
    if (!session?.ready) return Promise.reject(new Error('not connected to the broker'));
    const packet: mqttPacket.IPublishPacket = {
      cmd: 'publish',
      topic,
      payload,
      qos: 1,
      retain: false,
      dup: false,
      ...(options.expirySeconds !== undefined
        ? { properties: { messageExpiryInterval: options.expirySeconds } }
        : {}),
    };
    return new Promise<void>((resolve, reject) => {
      if (session.outgoing.size < session.sendQuota) {
        this.send(session, packet, { resolve, reject });
      } else if (session.waiting.length < MAX_WAITING_PUBLISHES) {
        session.waiting.push({ packet, resolve, reject });
      } else {
        reject(new Error('too many publishes waiting for the broker'));
      }
    });
  }

  private send(session: Session, packet: mqttPacket.IPublishPacket, outgoing: Outgoing): void {
    const messageId = this.packetId(session);
    session.outgoing.set(messageId, outgoing);
    if (!session.corked && !session.ended) {
      session.corked = true;
      session.stream.cork();
      process.nextTick(() => {
        session.corked = false;
        session.stream.uncork();
      });
    }
    this.write(session, { ...packet, messageId });
  }

  /** Drops the connection without acknowledging the messages it holds, and opens it again after `reconnectMs`. */
  private drop(reason: string): void {
    const session = this.session;
    if (!session) return;
    this.warn(`dropping the connection: ${reason}`);
    session.stream.destroy();
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    const session = this.session;
    if (!session || session.ended) return;
    await new Promise<void>((resolve) => {
      session.stream.once('close', () => resolve());
      // Read on, so that the socket can close; messages that still come are not handed over (nor acknowledged).
      session.stream.resume();
      if (session.ready) session.stream.end(mqttPacket.generate({ cmd: 'disconnect' }, PROTOCOL));
      else session.stream.destroy();
      setTimeout(() => session.stream.destroy(), 1000).unref();
    });
  }

  private keepaliveSeconds(): number {
    return this.options.keepaliveSeconds ?? 60;
  }

  private warn(message: string): void {
    this.options.onWarning?.(`${this.options.clientId}: ${message}`);
  }

  /** Opens a session: CONNECT (persistent session), then SUBSCRIBE; resolves once both were accepted. */
  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let stream: Duplex;
      try {
        stream = openStream(this.options.url);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const session: Session = {
        stream,
        parser: mqttPacket.parser(PROTOCOL),
        unacknowledged: [],
        outgoing: new Map(),
        waiting: [],
        sendQuota: 65535,
        corked: false,
        ready: false,
        lastReceived: Date.now(),
        flushScheduled: false,
        paused: false,
        ended: false,
      };
      this.session = session;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        reject(error);
        stream.destroy();
      };
      const timeout = setTimeout(
        () => fail(new Error(`no answer from ${this.options.url} to CONNECT`)),
        this.options.connectTimeoutMs ?? 10_000,
      );
      timeout.unref();
      const subscribeId = this.packetId(session);
      session.parser.on('packet', (packet: mqttPacket.Packet) => {
        session.lastReceived = Date.now();
        switch (packet.cmd) {
          case 'connack':
            if ((packet.reasonCode ?? packet.returnCode ?? 0) !== 0) {
              fail(
                new Error(
                  `the broker refused the connection (reason code ${packet.reasonCode ?? packet.returnCode})`,
                ),
              );
              return;
            }
            session.sendQuota = packet.properties?.receiveMaximum ?? 65535;
            this.write(session, {
              cmd: 'subscribe',
              messageId: subscribeId,
              subscriptions: this.options.subscriptions.map((topic) => ({ topic, qos: 1 })),
            });
            return;
          case 'suback': {
            const refused = this.options.subscriptions.filter((_, i) => {
              const granted = packet.granted[i];
              return typeof granted !== 'number' || granted > 1;
            });
            if (refused.length > 0) {
              fail(new Error(`the broker refused subscriptions: ${refused.join(', ')}`));
              return;
            }
            clearTimeout(timeout);
            session.ready = true;
            settled = true;
            resolve();
            return;
          }
          case 'publish':
            if (!this.stopped) this.received(session, packet);
            return;
          case 'puback': {
            const outgoing = session.outgoing.get(packet.messageId ?? -1);
            if (!outgoing) return;
            session.outgoing.delete(packet.messageId ?? -1);
            const code = packet.reasonCode ?? 0;
            if (code < 0x80) outgoing.resolve();
            else outgoing.reject(new Error(`the broker refused the message (reason code ${code})`));
            const next = session.waiting.shift();
            if (next) this.send(session, next.packet, next);
            return;
          }
          case 'disconnect':
            this.warn(`the broker disconnected (reason code ${packet.reasonCode ?? 0})`);
            stream.destroy();
            return;
          default:
            return;
        }
      });
      session.parser.on('error', (error: Error) => {
        this.warn(`unreadable packet from the broker: ${error.message}`);
        stream.destroy();
      });
      stream.on('data', (chunk: Buffer) => session.parser.parse(chunk));
      stream.on('error', (error: Error) => {
        if (!settled) fail(error);
        else this.warn(error.message);
      });
      stream.on('close', () => {
        clearTimeout(timeout);
        session.ended = true;
        session.ready = false;
        for (const outgoing of [...session.outgoing.values(), ...session.waiting])
          outgoing.reject(new Error('connection to the broker lost'));
        session.outgoing.clear();
        session.waiting.length = 0;
        if (!settled) fail(new Error(`connection to ${this.options.url} closed before it was ready`));
        if (this.session === session && this.started && !this.stopped) this.reconnectLater();
      });
      this.write(session, {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clientId: this.options.clientId,
        clean: false,
        keepalive: this.keepaliveSeconds(),
        ...(this.options.username !== undefined ? { username: this.options.username } : {}),
        ...(this.options.password !== undefined ? { password: Buffer.from(this.options.password) } : {}),
        properties: {
          sessionExpiryInterval: this.options.sessionExpirySeconds,
          receiveMaximum: this.options.receiveMaximum,
        },
      });
    });
  }

  private reconnectLater(): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped) return;
      this.open().catch((error: unknown) => {
        this.warn(`could not reconnect: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, this.options.reconnectMs ?? 1000);
    this.reconnectTimer.unref();
  }

  private received(session: Session, packet: mqttPacket.IPublishPacket): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (packet.qos === 0) {
      this.options.onMessage(packet.topic, payload).catch((error: unknown) => {
        this.warn(
          `QoS 0 message on ${packet.topic} not handled: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return;
    }
    const entry: Unacknowledged = { id: packet.messageId ?? 0, handled: false };
    session.unacknowledged.push(entry);
    // The broker should stop at the Receive Maximum; Mosquitto 2.0.11 does at first but sends past it once many
    // acknowledgements came in one write, so the client holds back by not reading (TCP flow control) and the rest
    // waits in the broker's queue.
    if (!session.paused && session.unacknowledged.length >= this.options.receiveMaximum) {
      session.paused = true;
      session.stream.pause();
    }
    this.options.onMessage(packet.topic, payload).then(
      () => {
        entry.handled = true;
        if (session.flushScheduled || session.ended) return;
        session.flushScheduled = true;
        setImmediate(() => this.acknowledge(session));
      },
      (error: unknown) => {
        if (session.ended) return;
        this.warn(
          `not acknowledging ${packet.topic}: ${error instanceof Error ? error.message : String(error)}`,
        );
        session.stream.destroy();
      },
    );
  }

  /** Acknowledges the handled messages at the head of the queue, in one write. */
  private acknowledge(session: Session): void {
    session.flushScheduled = false;
    if (session.ended) return;
    const queue = session.unacknowledged;
    let count = 0;
    while (count < queue.length && (queue[count] as Unacknowledged).handled) count++;
    if (count === 0) return;
    // PUBACK with reason Success and no properties: the 4-byte form of MQTT 5 (§3.4.2.1).
    const acks = Buffer.allocUnsafe(4 * count);
    for (let i = 0; i < count; i++) {
      const id = (queue[i] as Unacknowledged).id;
      acks[4 * i] = 0x40;
      acks[4 * i + 1] = 2;
      acks[4 * i + 2] = id >> 8;
      acks[4 * i + 3] = id & 0xff;
    }
    queue.splice(0, count);
    session.stream.write(acks);
    if (session.paused && queue.length < this.options.receiveMaximum) {
      session.paused = false;
      session.stream.resume();
    }
  }

  private keepAlive(): void {
    const session = this.session;
    if (!session?.ready) return;
    // While paused the silence is this side's: the broker's packets wait unread.
    if (!session.paused && Date.now() - session.lastReceived > this.keepaliveSeconds() * 1500) {
      this.drop('no packet from the broker within 1.5 keep-alive intervals');
      return;
    }
    this.write(session, { cmd: 'pingreq' });
  }

  private write(session: Session, packet: mqttPacket.Packet): void {
    if (session.ended) return;
    session.stream.write(mqttPacket.generate(packet, PROTOCOL));
  }

  private packetId(session: Session): number {
    for (let tries = 0; tries < 65535; tries++) {
      this.nextPacketId = (this.nextPacketId % 65535) + 1;
      if (!session.outgoing.has(this.nextPacketId)) return this.nextPacketId;
    }
    throw new Error('no free packet identifier');
  }
}

function openStream(url: string): Duplex {
  const parsed = new URL(url);
  switch (parsed.protocol) {
    case 'mqtt:':
      return net.connect({ host: parsed.hostname, port: Number(parsed.port || 1883) }).setNoDelay(true);
    case 'mqtts:':
      return tls.connect({
        host: parsed.hostname,
        port: Number(parsed.port || 8883),
        servername: parsed.hostname,
      });
    default:
      throw new Error(`ingest consumes from the broker over mqtt:// or mqtts://, not ${parsed.protocol}//`);
  }
}
