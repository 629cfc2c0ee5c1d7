/**
 * The ceiling ingest is compared with: a bare ack-after-commit consumer. The same shared-subscription
 * connections and group commit as ingest, but each message is only parsed and written as one row (IMEI, fix time,
 * position, H3 cell) by a multi-row insert — no registry look-up, no raw payload, no decoder checks, no
 * geofence, no rules. Each PUBACK is sent after the commit holding its message. Run by bench/ingest/main.ts.
 */
import { latLngToCell } from 'h3-js';
import mqtt, { MqttClient } from 'mqtt';
import { Pool } from 'pg';

const url = process.env['MQTT_URL'] as string;
const connections = Number(process.env['CONNECTIONS'] ?? 128);
const pool = new Pool({ connectionString: process.env['DATABASE_URL'], max: 2 });

interface Pending {
  readonly imei: string;
  readonly time: string;
  readonly lat: number;
  readonly lon: number;
  readonly done: () => void;
}

let queue: Pending[] = [];
let writing = false;

async function drain(): Promise<void> {
  if (writing) return;
  writing = true;
  while (queue.length > 0) {
    const batch = queue;
    queue = [];
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

async function main(): Promise<void> {
  await pool.query(`create table if not exists bench_baseline_fixes (
    imei text not null, fix_time timestamptz not null, lat double precision not null, lon double precision not null,
    h3_cell text not null, stored_at timestamptz not null default clock_timestamp(), primary key (imei, fix_time))`);
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const client = await mqtt.connectAsync(url, {
        protocolVersion: 5,
        clean: true,
        clientId: `bench-baseline-${i}`,
        username: process.env['MQTT_USERNAME'],
        password: process.env['MQTT_PASSWORD'],
        customHandleAcks: (topic, payload, _packet, done) => {
          const body = JSON.parse(payload.toString()) as { time: string; lat: number; lon: number };
          queue.push({ imei: topic.split('/')[1] as string, ...body, done: () => done(0) });
          void drain();
        },
      });
      await client.subscribeAsync('$share/bench-baseline/devices/+/fixes', { qos: 1 });
      return client;
    }),
  );
  process.stdout.write(`baseline consumer ready (${clients.length} connections)\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
