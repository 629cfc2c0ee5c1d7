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

/** How a drain of a former consumer's session ended. */
export interface DrainOutcome {
  /** Whether the broker still held the session (CONNACK Session Present). */
  readonly sessionPresent: boolean;
  /** Messages received from it and handled (each acknowledged after its handler resolved). */
  readonly messages: number;
  /** Whether the session was ended (DISCONNECT with Session Expiry Interval 0); false when the drain was stopped. */
  readonly ended: boolean;
}

export interface DrainOptions {
  /**
   * How long the session must stay silent, with every message it delivered acknowledged, to count as empty: once
   * after the session-present CONNACK, and again after the shared subscriptions were removed from it.
   */
  readonly quietMs: number;
  /** Asked right before the session is ended; false leaves the session as it is (the drain was taken over). */
  readonly mayEnd?: () => Promise<boolean>;
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
  /** UNSUBSCRIBE packets waiting for their UNSUBACK. */
  readonly unsubscribing: Map<number, () => void>;
  ready: boolean;
  /** Whether the broker resumed a session it kept (CONNACK Session Present). */
  sessionPresent: boolean;
  lastReceived: number;
  /** When the last PUBLISH arrived (or the session became ready). */
  lastPublish: number;
  /** QoS 1 messages received and acknowledged. */
  acknowledged: number;
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
    await this.open(true);
    this.started = true;
    this.startKeepalive();
  }

  /**
   * Takes what the persistent session of this client id still holds — a session a former consumer left, whose
   * messages no one else receives — and then ends it. Connects with Clean Start 0 and subscribes to nothing; the
   * messages the session holds come through `onMessage` and are acknowledged after it resolved, as in `start`.
   * Once the session has been silent for `quietMs` with everything acknowledged, the topic filters of
   * `subscriptions` are removed from it (so that no new message is routed to it), and after a second silence it is
   * ended with a DISCONNECT carrying Session Expiry Interval 0. A session the broker no longer held is ended at
   * once. Rejects when the connection is lost on the way (a handler failed, the broker went away, another client
   * took the client id over): the session is then left as it is, with whatever it still holds, for a later drain.
   * `close()` stops a drain the same way, resolving with `ended: false`. Never reconnects.
   */
  async drain(options: DrainOptions): Promise<DrainOutcome> {
    await this.open(false);
    this.startKeepalive();
    const session = this.session as Session;
    const outcome = (ended: boolean): DrainOutcome => ({
      sessionPresent: session.sessionPresent,
      messages: session.acknowledged,
      ended,
    });
    try {
      if (session.sessionPresent) {
        await this.quiet(session, options.quietMs);
        await this.unsubscribe(session, this.options.subscriptions);
        await this.quiet(session, options.quietMs);
      }
      if (this.stopped) return outcome(false);
      if (options.mayEnd && !(await options.mayEnd())) {
        await this.close();
        return outcome(false);
      }
      await this.end(session);
      return outcome(true);
    } catch (error) {
      if (this.stopped) return outcome(false);
      session.stream.destroy();
      throw error;
    } finally {
      if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    }
  }

  private startKeepalive(): void {
    this.keepaliveTimer = setInterval(() => this.keepAlive(), (this.keepaliveSeconds() * 1000) / 2);
    this.keepaliveTimer.unref();
  }

  /** Resolves once nothing has arrived for `quietMs` and everything received is acknowledged. */
  private quiet(session: Session, quietMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (session.ended || this.stopped) {
          reject(new Error('the connection was lost while draining the session'));
          return;
        }
        const silentFor = Date.now() - session.lastPublish;
        if (session.unacknowledged.length === 0 && !session.flushScheduled && silentFor >= quietMs) {
          resolve();
          return;
        }
        setTimeout(check, Math.max(10, Math.min(quietMs - silentFor, quietMs / 4, 100)));
      };
      check();
    });
  }

  /** Removes topic filters from the session; resolves on the UNSUBACK (whatever its reason codes say). */
  private unsubscribe(session: Session, topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const messageId = this.packetId(session);
      const lost = () => reject(new Error('the connection was lost while unsubscribing'));
      session.stream.once('close', lost);
      session.unsubscribing.set(messageId, () => {
        session.stream.off('close', lost);
        resolve();
      });
      this.write(session, { cmd: 'unsubscribe', messageId, unsubscriptions: [...topics] });
    });
  }

  /** Ends the session at the broker: DISCONNECT with Session Expiry Interval 0; resolves once the socket closed. */
  private async end(session: Session): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (session.ended) throw new Error('the connection was lost before the session could be ended');
    await new Promise<void>((resolve) => {
      session.stream.once('close', () => resolve());
      session.stream.resume();
      session.stream.end(
        mqttPacket.generate(
          { cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } },
          PROTOCOL,
        ),
      );
      setTimeout(() => session.stream.destroy(), 1000).unref();
    });
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

  /**
   * Opens a session: CONNECT (persistent session), then SUBSCRIBE unless `subscribe` is false; resolves once both
   * were accepted.
   */
  private open(subscribe: boolean): Promise<void> {
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
        unsubscribing: new Map(),
        ready: false,
        sessionPresent: false,
        lastReceived: Date.now(),
        lastPublish: Date.now(),
        acknowledged: 0,
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
            session.sessionPresent = packet.sessionPresent;
            if (!subscribe) {
              clearTimeout(timeout);
              session.ready = true;
              session.lastPublish = Date.now();
              settled = true;
              resolve();
              return;
            }
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
            session.lastPublish = Date.now();
            if (!this.stopped) this.received(session, packet);
            return;
          case 'unsuback': {
            const done = session.unsubscribing.get(packet.messageId ?? -1);
            session.unsubscribing.delete(packet.messageId ?? -1);
            done?.();
            return;
          }
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
      this.open(true).catch((error: unknown) => {
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
    session.acknowledged += count;
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
      if (!session.outgoing.has(this.nextPacketId) && !session.unsubscribing.has(this.nextPacketId))
        return this.nextPacketId;
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
