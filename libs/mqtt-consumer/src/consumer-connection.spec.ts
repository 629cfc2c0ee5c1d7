// eslint-disable-next-line no-restricted-imports -- the spec publishes as trackers do, with mqtt.js
import mqtt, { MqttClient } from 'mqtt';
import { RunningMosquitto, startMosquitto } from '../../../test/support/mosquitto';
import { startNodeProcess, stopNodeProcess } from '../../../test/support/node-process';
import { ConsumerConnection, ConsumerConnectionOptions } from './consumer-connection';

/** Against a Mosquitto of its own, with the project's configuration (nothing dropped, persistent sessions) and a TLS listener. */
describe('ConsumerConnection', () => {
  let broker: RunningMosquitto;
  let publisher: MqttClient;
  const open: ConsumerConnection[] = [];
  let clientNumber = 0;

  beforeAll(async () => {
    broker = await startMosquitto({ tls: true });
    broker.addAccount('fleet', 'fleet-secret', [
      ['publishClientSend', 'devices/#'],
      ['subscribePattern', 'devices/#'],
    ]);
    publisher = await mqtt.connectAsync(broker.url, { username: 'fleet', password: 'fleet-secret' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await publisher.endAsync();
    await broker.stop();
  });

  /** A consumer of `devices/<test>/#` on the admin account; the same client id resumes the same session. */
  async function consumer(
    clientId: string,
    topic: string,
    onMessage: ConsumerConnectionOptions['onMessage'],
    receiveMaximum = 1000,
    account = { username: broker.adminUsername, password: broker.adminPassword },
  ): Promise<ConsumerConnection> {
    const connection = new ConsumerConnection({
      url: broker.url,
      clientId,
      ...account,
      subscriptions: [topic],
      sessionExpirySeconds: 600,
      receiveMaximum,
      reconnectMs: 100,
      onMessage,
    });
    await connection.start();
    open.push(connection);
    return connection;
  }

  async function stop(connection: ConsumerConnection): Promise<void> {
    open.splice(open.indexOf(connection), 1);
    await connection.close();
  }

  function fresh(): { clientId: string; topic: (i: number) => string; filter: string } {
    const n = ++clientNumber;
    return { clientId: `consumer-${n}`, topic: (i) => `devices/t${n}/m${i}`, filter: `devices/t${n}/#` };
  }

  async function publishAll(topic: (i: number) => string, count: number, bytes = 16): Promise<void> {
    for (let i = 0; i < count; i++)
      await publisher.publishAsync(topic(i), Buffer.alloc(bytes, i % 256), { qos: 1 });
  }

  async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('holds many messages in flight at once, reads no further at its receive maximum, and acknowledges only what was handled', async () => {
    const { clientId, topic, filter } = fresh();
    const held: (() => void)[] = [];
    const first = await consumer(
      clientId,
      filter,
      () => new Promise<void>((resolve) => held.push(resolve)),
      50,
    );
    // 1 kB messages: one read of the socket (64 kB) brings at most about 63 of them past the limit.
    await publishAll(topic, 600, 1024);
    // The first 50 handled together (their acknowledgements leave in one write): past that, Mosquitto 2.0 sends
    // beyond the Receive Maximum, so only the connection's own holding back bounds what it holds.
    await until(() => held.length >= 50);
    for (const resolve of held.splice(0)) resolve();
    // It stops reading within the read that reached the limit: what it holds once it holds back is all it gets.
    await until(() => held.length >= 50 && first.holdingBack);
    expect(held.length).toBeGreaterThanOrEqual(50);
    expect(held.length).toBeLessThan(50 + 64);
    // Closing leaves every held message with the broker, and hands over none of those still unread.
    const handedOver = held.length;
    await stop(first);
    expect(held.length).toBe(handedOver);

    // A message published after the rest comes after them in the session: once it is handled, so is all before it.
    const seen = new Set<string>();
    const second = await consumer(clientId, filter, async (t) => {
      seen.add(t);
    });
    await until(() => seen.size === 550);
    await publisher.publishAsync(topic(600), 'later', { qos: 1 });
    await until(() => seen.has(topic(600)));
    await stop(second);
    seen.delete(topic(600));
    expect([...seen].sort()).toEqual(Array.from({ length: 550 }, (_, i) => topic(i + 50)).sort());

    const again: string[] = [];
    await consumer(clientId, filter, async (t) => {
      again.push(t);
    });
    await publisher.publishAsync(topic(601), 'later', { qos: 1 });
    await until(() => again.includes(topic(601)));
    // The later message itself may come again: closed just after its handler, the connection may not have sent
    // its acknowledgement yet (at least once). Nothing of the 550 does.
    expect(again.filter((t) => t !== topic(600))).toEqual([topic(601)]);
  });

  it('acknowledges in the order the messages came: a later message handled first waits for the earlier one', async () => {
    const { clientId, topic, filter } = fresh();
    const holds = new Map<string, () => void>();
    const first = await consumer(
      clientId,
      filter,
      (t) => new Promise<void>((resolve) => holds.set(t, resolve)),
    );
    await publishAll(topic, 10);
    await until(() => holds.size === 10);
    for (let i = 1; i < 10; i++) holds.get(topic(i))?.();
    // A later message reaching the handler shows the connection has gone on past those handlers' completion.
    await publisher.publishAsync(topic(10), Buffer.alloc(16, 10), { qos: 1 });
    await until(() => holds.has(topic(10)));
    await stop(first);

    const redelivered: string[] = [];
    await consumer(clientId, filter, async (t) => {
      redelivered.push(t);
    });
    await until(() => redelivered.length === 11);
    expect(redelivered).toEqual(Array.from({ length: 11 }, (_, i) => topic(i)));
  });

  it('drops the connection when a handler fails, reconnects by itself and gets the unacknowledged messages again', async () => {
    const { clientId, topic, filter } = fresh();
    const deliveries = new Map<string, number>();
    const handled = new Set<string>();
    await consumer(clientId, filter, async (t) => {
      const n = (deliveries.get(t) ?? 0) + 1;
      deliveries.set(t, n);
      if (t === topic(3) && n === 1) throw new Error('database down');
      handled.add(t);
    });
    await publishAll(topic, 10);
    await until(() => handled.size === 10);
    expect(deliveries.get(topic(3))).toBe(2);
    for (let i = 0; i < 3; i++) expect(deliveries.get(topic(i))).toBeGreaterThanOrEqual(1);
  });

  /** A connection of the admin account that drains the session `clientId` left in the share group of `filter`. */
  function drainer(
    clientId: string,
    filter: string,
    onMessage: ConsumerConnectionOptions['onMessage'],
  ): ConsumerConnection {
    return new ConsumerConnection({
      url: broker.url,
      clientId,
      username: broker.adminUsername,
      password: broker.adminPassword,
      subscriptions: [filter],
      sessionExpirySeconds: 600,
      receiveMaximum: 100,
      onMessage,
    });
  }

  it('drains the shared-subscription session a stopped consumer left: its share comes through, then the session ends and takes no more', async () => {
    const { clientId, topic } = fresh();
    const shared = `$share/g-${clientId}/devices/${topic(0).split('/')[1]}/#`;
    const live = new Set<string>();
    await consumer(`${clientId}-live`, shared, async (t) => {
      live.add(t);
    });
    const gone = await consumer(`${clientId}-gone`, shared, async () => undefined);
    await stop(gone);
    // The broker goes on giving the stopped member of the group its share, kept in its session.
    await publishAll(topic, 40);
    const drained = new Set<string>();
    const outcome = await drainer(`${clientId}-gone`, shared, async (t) => {
      drained.add(t);
    }).drain({ quietMs: 300 });
    expect(outcome).toEqual({ sessionPresent: true, messages: drained.size, ended: true });
    expect(drained.size).toBeGreaterThan(0);
    await until(() => live.size + drained.size === 40);
    expect([...live, ...drained].sort()).toEqual(Array.from({ length: 40 }, (_, i) => topic(i)).sort());

    // Ended, the session is no member of the group any more: everything published later goes to the live one.
    for (let i = 40; i < 60; i++) await publisher.publishAsync(topic(i), Buffer.alloc(16, i), { qos: 1 });
    await until(() => live.size + drained.size === 60);
    const again = await drainer(`${clientId}-gone`, shared, async () => undefined).drain({ quietMs: 100 });
    expect(again).toEqual({ sessionPresent: false, messages: 0, ended: true });
  });

  it('leaves the session with what it holds when a handler fails during a drain, or when the drain may not end it', async () => {
    const { clientId, topic, filter } = fresh();
    await stop(await consumer(clientId, filter, async () => undefined));
    await publishAll(topic, 10);

    let calls = 0;
    const failing = drainer(clientId, filter, async () => {
      if (++calls === 5) throw new Error('database down');
    });
    await expect(failing.drain({ quietMs: 200 })).rejects.toThrow(/lost while draining/);

    const held = new Set<string>();
    const refused = await drainer(clientId, filter, async (t) => {
      held.add(t);
    }).drain({ quietMs: 200, mayEnd: async () => false });
    expect(refused).toMatchObject({ sessionPresent: true, ended: false });
    // The fifth and the rest come again (those before it too if the failure dropped the connection before their
    // acknowledgement left: at least once).
    for (let i = 4; i < 10; i++) expect(held).toContain(topic(i));
    expect(held.size).toBeLessThanOrEqual(10);

    const last = await drainer(clientId, filter, async () => undefined).drain({ quietMs: 200 });
    expect(last).toEqual({ sessionPresent: true, messages: 0, ended: true });
  });

  it('publishes at QoS 1 and resolves once the broker acknowledged', async () => {
    const { clientId, topic, filter } = fresh();
    const fleet = { username: 'fleet', password: 'fleet-secret' };
    const connection = await consumer(clientId, `${topic(0)}/none`, async () => undefined, 10, fleet);
    const listener = await mqtt.connectAsync(broker.url, {
      username: broker.adminUsername,
      password: broker.adminPassword,
    });
    try {
      const got: string[] = [];
      listener.on('message', (t, payload) => got.push(`${t}=${payload.toString()}`));
      await listener.subscribeAsync(filter, { qos: 1 });
      await connection.publish(topic(1), Buffer.from('ok'));
      await until(() => got.length === 1);
      expect(got).toEqual([`${topic(1)}=ok`]);
      // The admin account may not publish on device topics: the broker's refusal comes back with its code.
      const admin = await consumer(`${clientId}-admin`, `${topic(0)}/none`, async () => undefined);
      await expect(admin.publish(topic(2), Buffer.from('no'))).rejects.toThrow(/reason code 135/);
    } finally {
      await listener.endAsync();
    }
  });

  it('publishes thousands at once (a batch of receipts) within the broker Receive Maximum, each with its expiry', async () => {
    const { clientId, topic, filter } = fresh();
    const fleet = { username: 'fleet', password: 'fleet-secret' };
    const connection = await consumer(clientId, `${topic(0)}/none`, async () => undefined, 10, fleet);
    const listener = await mqtt.connectAsync(broker.url, {
      username: broker.adminUsername,
      password: broker.adminPassword,
      protocolVersion: 5,
    });
    try {
      const expiries: (number | undefined)[] = [];
      listener.on('message', (_t, _payload, packet) =>
        expiries.push(packet.properties?.messageExpiryInterval),
      );
      await listener.subscribeAsync(filter, { qos: 1 });
      const count = 5000;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          connection.publish(topic(i + 1), Buffer.from(`receipt ${i}`), { expirySeconds: 3600 }),
        ),
      );
      expect(connection.connected).toBe(true);
      await until(() => expiries.length === count);
      expect(expiries.every((e) => e !== undefined && e > 3500 && e <= 3600)).toBe(true);
    } finally {
      await listener.endAsync();
    }
  });

  it('rejects start with the reason when the broker refuses the account', async () => {
    const connection = new ConsumerConnection({
      url: broker.url,
      clientId: 'consumer-refused',
      username: 'nobody',
      password: 'wrong',
      subscriptions: ['devices/#'],
      sessionExpirySeconds: 0,
      receiveMaximum: 10,
      onMessage: async () => undefined,
    });
    await expect(connection.start()).rejects.toThrow(/refused the connection/);
    await connection.close();
  });

  it('refuses a broker over TLS whose certificate it cannot verify', async () => {
    const connection = new ConsumerConnection({
      url: broker.tlsUrl as string,
      clientId: 'consumer-untrusted',
      username: broker.adminUsername,
      password: broker.adminPassword,
      subscriptions: ['devices/#'],
      sessionExpirySeconds: 0,
      receiveMaximum: 10,
      onMessage: async () => undefined,
    });
    await expect(connection.start()).rejects.toThrow(/unable to verify the first certificate/);
    await connection.close();
  });

  it('consumes over TLS from a broker whose CA the process trusts (NODE_EXTRA_CA_CERTS)', async () => {
    const { topic } = fresh();
    let output = '';
    const child = await startNodeProcess(
      'test/support/tls-consumer.ts',
      {
        MQTT_URL: broker.tlsUrl as string,
        MQTT_USERNAME: broker.adminUsername,
        MQTT_PASSWORD: broker.adminPassword,
        TOPIC: topic(0),
        NODE_EXTRA_CA_CERTS: broker.caFile as string,
      },
      'ready',
      { onStdout: (chunk) => (output += chunk) },
    );
    try {
      await publisher.publishAsync(topic(0), 'over tls', { qos: 1 });
      await until(() => output.includes('got'));
      expect(output).toContain(`got ${topic(0)} over tls`);
    } finally {
      await stopNodeProcess(child, 'SIGTERM');
    }
  });

  it('refuses a WebSocket broker URL with the reason', async () => {
    const connection = new ConsumerConnection({
      url: 'ws://127.0.0.1:9001',
      clientId: 'consumer-ws',
      subscriptions: ['devices/#'],
      sessionExpirySeconds: 0,
      receiveMaximum: 10,
      onMessage: async () => undefined,
    });
    await expect(connection.start()).rejects.toThrow(
      'ingest consumes from the broker over mqtt:// or mqtts://, not ws://',
    );
  });
});
