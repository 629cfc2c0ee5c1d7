/**
 * Ingest benchmark: thousands of trackers' single-fix messages published at QoS 1 to Mosquitto (the project's
 * configuration: nothing dropped), consumed with acknowledgement after commit. The consumers run in turn on the
 * same broker, database server and workload:
 *   1. the bare ack-after-commit baseline (bench/ingest/baseline-consumer.ts) on the general-purpose client
 *      (mqtt.js, `--baseline-connections` connections each holding one message), then on ingest's own subscriber
 *      (ConsumerConnection, the same connections as ingest);
 *   2. Centinela's ingest (`npm run start:ingest`): registry look-up, raw payload and fix stored once with its H3
 *      cell, decoder checks, geofence on the default Peru catalogue, rules, violations and outbox; at full load,
 *      then at `--rate` fixes/s offered;
 *   3. the mqtt.js baseline again: ingest is compared with the mean of its two runs, as the machine's speed drifts.
 * Each runs in its own process, like the deployment. Prints sustained fixes/s, publish-to-stored p50/p99, each
 * consumer's CPU time and PostgreSQL's per fix, the confirming-fix-to-violation p99, and ingest ÷ each baseline.
 * Needs DATABASE_URL (a PostgreSQL server; a database of its own is created and dropped). Usage:
 *   npm run bench:ingest [-- --devices 5000 --fixes 30 --publishers 8 --window 400 --connections 8 --inflight 1024 --baseline-connections 512 --writers 1 --workers 2 --rate 5000]
 * `--workers N` sets ingest's worker threads (INGEST_WORKERS, default 2 as in docker-compose.yml).
 */
import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import mqtt, { MqttClient } from 'mqtt';
import { Client } from 'pg';
import { startMosquitto } from '../../test/support/mosquitto';
import { startNodeProcess, stopNodeProcess } from '../../test/support/node-process';
import { commandCpuSeconds, numberArg, percentile, processCpuSeconds } from '../support';
import { EVERY_MS, Message, devicesInMadreDeDios, seedRegistry, workload } from './fleet';

const DEVICES = numberArg('devices', 5000);
const FIXES = numberArg('fixes', 30);
const PUBLISHERS = numberArg('publishers', 8);
const WINDOW = numberArg('window', 400);
const CONNECTIONS = numberArg('connections', 8);
const INFLIGHT = numberArg('inflight', 1024);
/** Connections of the mqtt.js baseline, each holding one unacknowledged message. */
const BASELINE_CONNECTIONS = numberArg('baseline-connections', 512);
/** Writers of each ingest pipeline (INGEST_WRITERS), as docker-compose.yml deploys it. */
const WRITERS = numberArg('writers', 1);
/** Ingest's worker threads (INGEST_WORKERS), as docker-compose.yml deploys it; 0 runs the pipeline on the main thread with the broker connections. */
const WORKERS = numberArg('workers', 2);
/** Fixes/s offered in the latency run (open loop, below capacity). */
const RATE = numberArg('rate', 5000);
const ROOT = path.resolve(__dirname, '../..');

/** The Node flags ingest is deployed with (`npm run start:ingest`, docker-compose.yml), for both consumers. */
const DEPLOYED_NODE_FLAGS = ['--max-semi-space-size=128'];

async function startProcess(
  entry: string,
  env: Record<string, string>,
  ready: string,
): Promise<ChildProcess> {
  let output = '';
  const child = await startNodeProcess(entry, env, ready, {
    nodeArgs: DEPLOYED_NODE_FLAGS,
    timeoutMs: 120_000,
    onStdout: (chunk) => {
      output = (output + chunk).slice(-20_000);
      const totals = chunk.match(/ingest totals: (\{.*\})/);
      if (totals) console.log(`  ingest counters: ${totals[1]}`);
    },
  });
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  // A consumer that dies mid-run would leave the bench waiting for rows that never come.
  child.once('exit', (code, signal) => {
    console.error(`\n${entry} exited during the run (${signal ?? String(code)}):\n${output}`);
    process.exit(1);
  });
  return child;
}

const stopProcess = (child: ChildProcess) => stopNodeProcess(child, 'SIGTERM');

/** Publishes every message at QoS 1 over the publishers, each keeping `WINDOW` unacknowledged; returns publish times. */
async function publish(
  publishers: MqttClient[],
  messages: readonly Message[],
  rate?: number,
): Promise<Map<string, number>> {
  const published = new Map<string, number>();
  let next = 0;
  const start = Date.now();
  await Promise.all(
    publishers.map(async (client) => {
      const lanes = Array.from({ length: WINDOW }, async () => {
        while (next < messages.length) {
          const index = next++;
          const m = messages[index]!;
          if (rate) {
            const due = start + (index * 1000) / rate;
            if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          }
          published.set(`${m.imei}|${m.time}`, Date.now());
          await client.publishAsync(`devices/${m.imei}/fixes`, m.body, { qos: 1 });
        }
      });
      await Promise.all(lanes);
    }),
  );
  return published;
}

async function count(pg: Client, table: string): Promise<number> {
  return Number((await pg.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n ?? 0);
}

interface PhaseResult {
  readonly fixes: number;
  readonly seconds: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU time of the consumer's process (every thread) per fix stored, µs. */
  readonly consumerCpuPerFix: number;
  /** CPU time of the PostgreSQL server (every process) per fix stored, µs. */
  readonly postgresCpuPerFix: number;
}

async function runPhase(
  pg: Client,
  consumer: ChildProcess,
  table: string,
  publishers: MqttClient[],
  messages: readonly Message[],
  rate?: number,
): Promise<{ result: PhaseResult; published: Map<string, number> }> {
  const started = Date.now();
  const before = await count(pg, table);
  const consumerCpu = processCpuSeconds(consumer.pid as number);
  const postgresCpu = commandCpuSeconds('postgres');
  const publishing = publish(publishers, messages, rate);
  let stored = 0;
  while (stored < messages.length) {
    // Counting rows scans the table and competes with the consumer for the machine; the figures come from the
    // rows' write times, so polling once a second loses nothing.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stored = (await count(pg, table)) - before;
    process.stdout.write(`\r  ${table}: ${stored} / ${messages.length} stored`);
  }
  const consumerCpuSeconds = processCpuSeconds(consumer.pid as number) - consumerCpu;
  const postgresCpuSeconds = commandCpuSeconds('postgres') - postgresCpu;
  const published = await publishing;
  const from = new Date(started);
  const last = await pg.query<{ t: Date }>(`select max(stored_at) as t from ${table} where stored_at >= $1`, [
    from,
  ]);
  const seconds = ((last.rows[0]?.t as Date).getTime() - started) / 1000;
  const rows = await pg.query<{ imei: string; fix_time: Date; stored_at: Date }>(
    `select imei, fix_time, stored_at from ${table} where stored_at >= $1`,
    [from],
  );
  const latencies = rows.rows
    .map((r) => r.stored_at.getTime() - (published.get(`${r.imei}|${r.fix_time.getTime()}`) ?? NaN))
    .filter((l) => Number.isFinite(l));
  process.stdout.write('\n');
  return {
    published,
    result: {
      fixes: rows.rows.length,
      seconds,
      rate: rows.rows.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      consumerCpuPerFix: (consumerCpuSeconds * 1e6) / stored,
      postgresCpuPerFix: (postgresCpuSeconds * 1e6) / stored,
    },
  };
}

async function main(): Promise<void> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    console.log('bench:ingest needs DATABASE_URL (a PostgreSQL server); skipped.');
    return;
  }
  const name = `centinela_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${name}`;
  const mosquitto = await startMosquitto();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-bench-'));
  const children: ChildProcess[] = [];
  const publishers: MqttClient[] = [];
  const pg = new Client({ connectionString: dbUrl.toString() });
  try {
    console.log(
      `ingest benchmark: ${DEVICES} trackers × ${FIXES} single-fix messages, ${PUBLISHERS} publisher connections × ${WINDOW} in flight, ${CONNECTIONS} consumer connections × ${INFLIGHT} in flight, ingest with ${WORKERS} worker threads × ${WRITERS} writers, ${os.cpus().length} cores`,
    );
    // Two fleets: one for the full-load runs, a fresh one whose violations open during the paced run.
    const devices = devicesInMadreDeDios(0, DEVICES);
    const freshFleet = devicesInMadreDeDios(DEVICES, DEVICES);
    await seedRegistry(dbUrl.toString(), [...devices, ...freshFleet]);
    await pg.connect();
    // The publishers stand in for the trackers: one account allowed to publish on every device topic.
    mosquitto.addAccount('bench-fleet', 'bench-fleet-secret', [['publishClientSend', 'devices/#']]);
    for (let i = 0; i < PUBLISHERS; i++)
      publishers.push(
        await mqtt.connectAsync(mosquitto.url, {
          clientId: `bench-publisher-${i}`,
          username: 'bench-fleet',
          password: 'bench-fleet-secret',
          protocolVersion: 4,
        }),
      );
    const brokerEnv = {
      MQTT_URL: mosquitto.url,
      MQTT_USERNAME: mosquitto.adminUsername,
      MQTT_PASSWORD: mosquitto.adminPassword,
      DATABASE_URL: dbUrl.toString(),
    };

    const t0 = Date.now() - 6 * 3_600_000;
    const runBaseline = async (subscriber: 'mqtt.js' | 'consumer-connection', connections: number) => {
      console.log(`baseline: bare ack-after-commit consumer on ${subscriber}`);
      const baseline = await startProcess(
        'bench/ingest/baseline-consumer.ts',
        {
          ...brokerEnv,
          SUBSCRIBER: subscriber,
          CONNECTIONS: String(connections),
          INFLIGHT: String(INFLIGHT),
        },
        'baseline consumer ready',
      );
      children.push(baseline);
      const run = await runPhase(
        pg,
        baseline,
        'bench_baseline_fixes',
        publishers,
        workload(devices, FIXES, t0),
      );
      await stopProcess(baseline);
      await pg.query('truncate bench_baseline_fixes');
      return run.result;
    };
    // The machine's speed drifts within a run: the mqtt.js baseline runs before ingest and again after it, and
    // ingest is compared with the mean of the two.
    const generalBefore = await runBaseline('mqtt.js', BASELINE_CONNECTIONS);
    const ownBase = await runBaseline('consumer-connection', CONNECTIONS);

    console.log('centinela ingest (default Peru catalogue)');
    const ingest = await startProcess(
      'apps/ingest/src/main.ts',
      {
        ...brokerEnv,
        BROKER_KIND: 'mosquitto',
        JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
        DEVICE_SECRET_KEY: 'bench-device-key-that-is-long-enough-0123456789',
        DATA_DIR: dataDir,
        GEOFENCE_CACHE_DIR: path.join(ROOT, '.data', 'geofence-cache'),
        INGEST_MQTT_CONNECTIONS: String(CONNECTIONS),
        INGEST_MQTT_INFLIGHT: String(INFLIGHT),
        INGEST_WRITERS: String(WRITERS),
        INGEST_WORKERS: String(WORKERS),
        INGEST_INSTANCE_ID: 'bench',
        // The workload replays 15 minutes of a fleet's reports in seconds, so between two of its compressed reports
        // every tracker would look silent to the went-dark sweep; the sweep is left out of the run.
        INTEGRITY_SWEEP_SECONDS: '3600',
        LOG_LEVEL: 'log',
        REDIS_URL: process.env['REDIS_URL'] ?? '',
        REDIS_KEY_PREFIX: `${name}:`,
      },
      'ingest running',
    );
    children.push(ingest);
    const messages = workload(devices, FIXES, t0 + FIXES * EVERY_MS + 60_000);
    const { result: centinela } = await runPhase(pg, ingest, 'positions', publishers, messages);
    const countViolations = async () =>
      Number((await pg.query<{ n: string }>('select count(*) as n from violations')).rows[0]?.n ?? 0);
    const violationsAtFullLoad = await countViolations();
    const integrityAlerts = Number(
      (await pg.query<{ n: string }>(`select count(*) as n from violations where zone_kind = 'integrity'`))
        .rows[0]?.n ?? 0,
    );

    // Latency below capacity: a fresh fleet (its violations open during this run) offered at a steady rate.
    console.log(`centinela ingest at ${RATE} fixes/s offered`);
    const paced = workload(freshFleet, FIXES, t0 + FIXES * EVERY_MS + 60_000);
    const since = new Date();
    const { result: steady, published } = await runPhase(pg, ingest, 'positions', publishers, paced, RATE);
    const violations = await pg.query<{ imei: string; confirmed_at: Date; stored_at: Date }>(
      `select v.imei, v.confirmed_at, p.stored_at from violations v
         join positions p on p.imei = v.imei and p.fix_time = v.confirmed_at
        where v.created_at >= $1`,
      [since],
    );
    const toViolation = violations.rows
      .map((r) => r.stored_at.getTime() - (published.get(`${r.imei}|${r.confirmed_at.getTime()}`) ?? NaN))
      .filter((l) => Number.isFinite(l));
    await stopProcess(ingest);
    const generalAfter = await runBaseline('mqtt.js', BASELINE_CONNECTIONS);
    const generalRate = (generalBefore.rate + generalAfter.rate) / 2;

    const row = (label: string, r: PhaseResult) =>
      `| ${label} | ${r.fixes} | ${r.seconds.toFixed(1)} | ${Math.round(r.rate)} | ${r.p50} | ${r.p99} | ${Math.round(r.consumerCpuPerFix)} | ${Math.round(r.postgresCpuPerFix)} |`;
    console.log('');
    console.log(
      '| consumer | fixes stored | s | fixes/s | publish→stored p50 ms | p99 ms | consumer CPU µs/fix | PostgreSQL CPU µs/fix |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    const generalLabel = `bare ack-after-commit baseline on mqtt.js (${BASELINE_CONNECTIONS} × 1 in flight)`;
    console.log(row(`${generalLabel}, before ingest`, generalBefore));
    console.log(
      row(`bare ack-after-commit baseline on ingest's subscriber (${CONNECTIONS} × ${INFLIGHT})`, ownBase),
    );
    console.log(row('**Centinela ingest**', centinela));
    console.log(row(`Centinela ingest, ${RATE} fixes/s offered`, steady));
    console.log(row(`${generalLabel}, after ingest`, generalAfter));
    console.log('');
    console.log(
      `ingest ÷ baseline on mqtt.js: ${(centinela.rate / generalRate).toFixed(2)} (÷ the run before ingest ${(centinela.rate / generalBefore.rate).toFixed(2)}, ÷ the run after ${(centinela.rate / generalAfter.rate).toFixed(2)})`,
    );
    console.log(`ingest ÷ baseline on ingest's subscriber: ${(centinela.rate / ownBase.rate).toFixed(2)}`);
    console.log(
      `violations opened at full load: ${violationsAtFullLoad} (integrity alerts among them: ${integrityAlerts}, expected 0 on this clean workload)`,
    );
    console.log(
      `violations opened at ${RATE} fixes/s: ${violations.rows.length}; confirming fix published → violation stored: p50 ${percentile(toViolation, 50)} ms, p99 ${percentile(toViolation, 99)} ms`,
    );
    console.log(
      `lost: ${messages.length + paced.length - centinela.fixes - steady.fixes} (ingest), ${3 * messages.length - generalBefore.fixes - ownBase.fixes - generalAfter.fixes} (baselines)`,
    );
  } finally {
    await Promise.all(publishers.map((p) => p.endAsync(true)));
    for (const child of children) await stopProcess(child);
    await pg.end().catch(() => undefined);
    await mosquitto.stop();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await forgetLiveStates(`${name}:`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Removes the live states ingest kept in Redis under the run's key prefix. */
async function forgetLiveStates(prefix: string): Promise<void> {
  const url = process.env['REDIS_URL'];
  if (!url) return;
  const redis = new Redis(url);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<
      string[]
    >)
      if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
