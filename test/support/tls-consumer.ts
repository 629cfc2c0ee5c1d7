/**
 * A consumer over TLS in a process of its own, so that it trusts the test's CA the way a deployment trusts a
 * private one (NODE_EXTRA_CA_CERTS, read at start). Prints "ready", then "got <topic> <payload>" for the first
 * message on TOPIC, and exits. Run by libs/mqtt-consumer/src/consumer-connection.spec.ts.
 */
import { ConsumerConnection } from '@app/mqtt-consumer';

const connection = new ConsumerConnection({
  url: process.env['MQTT_URL'] as string,
  clientId: 'tls-consumer',
  username: process.env['MQTT_USERNAME'],
  password: process.env['MQTT_PASSWORD'],
  subscriptions: [process.env['TOPIC'] as string],
  sessionExpirySeconds: 0,
  receiveMaximum: 10,
  onMessage: async (topic, payload) => {
    process.stdout.write(`got ${topic} ${payload.toString()}\n`);
    await connection.close();
    process.exit(0);
  },
});

connection.start().then(
  () => process.stdout.write('ready\n'),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
