/**
 * The ceiling ingest is compared with: a bare ack-after-commit consumer. A group commit like ingest's, but each
 * message is only parsed and written as one row (IMEI, fix time, position, H3 cell) by a multi-row insert — no
 * registry look-up, no raw payload, no decoder checks, no geofence, no rules. Each PUBACK is sent after the commit
 * holding its message. Two subscribers (SUBSCRIBER):
 *   - `mqtt.js`: the general-purpose client, CONNECTIONS connections in a shared-subscription group, each holding
 *     one unacknowledged message (mqtt.js reads a connection's next message only after the last one's PUBACK);
 *   - `consumer-connection`: ingest's own subscriber (ConsumerConnection), CONNECTIONS connections holding
 *     INFLIGHT messages each.
 * Run by bench/ingest/main.ts.
 */
import { latLngToCell } from 'h3-js';
import mqtt from 'mqtt';
import { Pool } from 'pg';
import { ConsumerConnection } from '@app/mqtt-consumer';

const url = process.env['MQTT_URL'] as string;
const subscriber = process.env['SUBSCRIBER'] ?? 'consumer-connection';
const connections = Number(process.env['CONNECTIONS'] ?? 8);
const inflight = Number(process.env['INFLIGHT'] ?? 1024);
const username = process.env['MQTT_USERNAME'];
const password = process.env['MQTT_PASSWORD'];
const topic = '$share/bench-baseline/devices/+/fixes';
const pool = new Pool({ connectionString: process.env['DATABASE_URL'], max: 2 });

interface Pending {
  readonly imei: string;
  readonly time: string;
  readonly lat: number;
  readonly lon: number;
  readonly done: () => void;
}

const queue: Pending[] = [];
let writing = false;

/** Most rows in one insert (PostgreSQL takes at most 65,535 parameters per statement). */
const MAX_ROWS = 10_000;

async function drain(): Promise<void> {
  if (writing) return;
  writing = true;
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_ROWS);
    const values: unknown[] = [];
    const rows = batch.map((p, i) => {
      values.push(p.imei, p.time, p.lat, p.lon, latLngToCell(p.lat, p.lon, 12));
      const o = i * 5;
      return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5})`;
    });
    await pool.query(
      `insert into bench_baseline_fixes (imei, fix_time, lat, lon, h3_cell) values ${rows.join(',')} on conflict do nothing`,
      values,
    );
    for (const p of batch) p.done();
  }
  writing = false;
}

function take(topicName: string, payload: Buffer, done: () => void): void {
  const body = JSON.parse(payload.toString()) as { time: string; lat: number; lon: number };
  queue.push({ imei: topicName.split('/')[1] as string, ...body, done });
  void drain();
}

async function subscribe(i: number): Promise<void> {
  const clientId = `bench-baseline-${subscriber}-${i}`;
  if (subscriber === 'mqtt.js') {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clean: true,
      clientId,
      username,
      password,
      customHandleAcks: (topicName, payload, _packet, done) => take(topicName, payload, () => done(0)),
    });
    await client.subscribeAsync(topic, { qos: 1 });
    return;
  }
  await new ConsumerConnection({
    url,
    clientId,
    username,
    password,
    subscriptions: [topic],
    sessionExpirySeconds: 0,
    receiveMaximum: inflight,
    onMessage: (topicName, payload) => new Promise<void>((resolve) => take(topicName, payload, resolve)),
  }).start();
}

async function main(): Promise<void> {
  await pool.query(`create table if not exists bench_baseline_fixes (
    imei text not null, fix_time timestamptz not null, lat double precision not null, lon double precision not null,
    h3_cell text not null, stored_at timestamptz not null default clock_timestamp(), primary key (imei, fix_time))`);
  await Promise.all(Array.from({ length: connections }, (_, i) => subscribe(i)));
  const shape = subscriber === 'mqtt.js' ? '1' : String(inflight);
  process.stdout.write(
    `baseline consumer ready (${subscriber}, ${connections} connections × ${shape} in flight)\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
