/**
 * Dispatch benchmark: dredges enter a river through real MQTT; ingest opens and closes violations; the
 * dispatcher delivers the events, signed, to a local webhook. Prints events/s at the webhook, the p50/p99
 * latency from a tracker's publish to the webhook's receipt of the violation it opened, and the same webhook
 * under a bare sequential HTTP POST loop (the ceiling) measured in the same run, as a ratio. Embedded storage,
 * or the PostgreSQL database of DATABASE_URL (migrated and written to: use a scratch database). Usage:
 *   npm run bench:dispatch [-- --dredges 50 --posts 2000]
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '@app/config';
import { openDatabase } from '@app/db';
import { luhnCheckDigit, rucCheckDigit } from '@app/registry';
import { createRegistryApi, listen } from '../../apps/registry-api/src/registry-api';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime, startIngest } from '../../apps/ingest/src/ingest.runtime';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { numberArg, percentile } from '../support';
import { OFF_RIVER, ON_RIVER, TEST_RIVER, TEST_RIVER_MAPPING, minutes } from '../../test/support/river';

/** The dredges' tracks start half an hour before the run; their trackers were installed an hour before that. */
const TRACK_START = Date.now() - 30 * 60_000;

const DREDGES = numberArg('dredges', 50);
const POSTS = numberArg('posts', 2000);
const PASSWORD = 'bench-admin-password-0123';

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-bench-dispatch-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    HTTP_PORT: '0',
    MQTT_EMBEDDED_PORT: '0',
    ADMIN_PASSWORD: PASSWORD,
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    DEVICE_SECRET_KEY: 'bench-device-key-that-is-long-enough-0123456789',
    ZONE_CATALOGUE_SEED: 'none',
    DISPATCH_POLL_MS: '20',
    // The benchmark's receiver listens on the loopback address.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    GEOFENCE_CACHE_DIR: path.resolve('.data/geofence-cache'),
  });
  const database = await openDatabase(
    process.env['DATABASE_URL']
      ? { databaseUrl: process.env['DATABASE_URL'], poolSize: 10 }
      : { embeddedDataDir: 'memory://' },
  );
  const app = await createRegistryApi(config, database, [IngestModule, DispatcherModule]);
  const url = await listen(app, config);
  await startIngest(app);
  const brokerUrl = app.get(IngestRuntime).brokerUrl!;

  // The agency's receiver: records when each event arrives.
  const arrivals = new Map<string, number>();
  const opened = new Map<string, number>();
  let received = 0;
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const now = performance.now();
      received++;
      const id = String(request.headers['webhook-id'] ?? '');
      if (id && !arrivals.has(id)) {
        arrivals.set(id, now);
        try {
          const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            type: string;
            data: { imei: string };
          };
          if (event.type === 'violation.opened') opened.set(event.data.imei, now);
        } catch {
          // the bare POST loop sends no JSON
        }
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/alerts`;

  const call = async (method: string, route: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300)
      throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const token = (await call('POST', '/v1/auth/login', { username: 'admin', password: PASSWORD }))[
    'accessToken'
  ] as string;
  // The import is a job; its activation needs a second administrator.
  const job = await call(
    'POST',
    '/v1/zones/import',
    { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER },
    token,
  );
  let imported = job;
  while (imported['status'] === 'queued' || imported['status'] === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 50));
    imported = await call('GET', `/v1/zones/imports/${String(job['id'])}`, undefined, token);
  }
  if (imported['status'] !== 'succeeded') throw new Error(`zone import: ${JSON.stringify(imported)}`);
  const secondPassword = 'bench-second-administrator-0123';
  await call(
    'POST',
    '/v1/users',
    {
      username: 'bench.admin2',
      displayName: 'Second administrator',
      password: secondPassword,
      role: 'admin',
    },
    token,
  );
  const secondToken = (
    await call('POST', '/v1/auth/login', { username: 'bench.admin2', password: secondPassword })
  )['accessToken'] as string;
  const version = (imported['result'] as { version: string }).version;
  await call('POST', `/v1/zones/versions/${version}/activate/confirm`, {}, secondToken);
  const agency = await call('POST', '/v1/agencies', { code: 'ANA-BENCH', name: 'ANA', kind: 'water' }, token);
  await call('POST', `/v1/agencies/${agency['id']}/subscriptions`, { zoneKinds: ['water_body'] }, token);
  await call('POST', `/v1/agencies/${agency['id']}/channels`, { kind: 'webhook', url: receiverUrl }, token);

  process.stdout.write(`enrolling ${DREDGES} dredges…\n`);
  const devices: Array<{ imei: string; password: string }> = [];
  for (let i = 0; i < DREDGES; i++) {
    const ruc = `20${String(10_000_000 + i).slice(-8)}`;
    const owner = await call(
      'POST',
      '/v1/owners',
      { kind: 'company', documentType: 'RUC', documentNumber: ruc + rucCheckDigit(ruc), name: `Minera ${i}` },
      token,
    );
    const machine = await call(
      'POST',
      '/v1/machines',
      {
        category: 'dredge',
        make: 'Bench',
        model: 'D1',
        year: 2020,
        serialNumber: `BENCH${String(i).padStart(8, '0')}`,
        department: 'MADRE DE DIOS',
        ownerId: owner['id'],
      },
      token,
    );
    const imeiBody = `35${String(100_000_000_000 + i).slice(-12)}`;
    const tracker = await call(
      'POST',
      '/v1/trackers',
      {
        imei: imeiBody + luhnCheckDigit(imeiBody),
        model: 'FMC650',
        intervalMovingSeconds: 60,
        intervalIgnitionOffSeconds: 900,
      },
      token,
    );
    await call(
      'POST',
      `/v1/machines/${machine['id']}/tracker`,
      { trackerId: tracker['id'], installedAt: new Date(TRACK_START - 3_600_000).toISOString() },
      token,
    );
    const issued = await call('POST', `/v1/trackers/${tracker['id']}/credentials`, undefined, token);
    devices.push({ imei: tracker['imei'] as string, password: issued['password'] as string });
  }

  // Each dredge sends its track in one message: outside, six minutes on the river, outside again.
  const at = (offsetMinutes: number) => new Date(TRACK_START + offsetMinutes * 60_000).toISOString();
  const track = [
    ...minutes(at(0), 3, OFF_RIVER),
    ...minutes(at(3), 6, ON_RIVER),
    ...minutes(at(9), 5, OFF_RIVER),
  ];
  const clients = await Promise.all(
    devices.map((d) =>
      mqtt.connectAsync(brokerUrl, {
        clientId: d.imei,
        username: d.imei,
        password: d.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ),
  );
  const published = new Map<string, number>();
  const start = performance.now();
  await Promise.all(
    clients.map((client, i) => {
      const imei = devices[i]!.imei;
      published.set(imei, performance.now());
      return client.publishAsync(`devices/${imei}/fixes`, JSON.stringify({ fixes: track }), { qos: 1 });
    }),
  );
  const expected = DREDGES * 2;
  const deadline = Date.now() + 120_000;
  while (arrivals.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const elapsed = (performance.now() - start) / 1000;
  const events = arrivals.size;
  const latencies = [...opened.entries()].map(([imei, at]) => at - published.get(imei)!);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app.close();

  // The ceiling: the same receiver under a bare sequential POST loop of similar bodies.
  const body = JSON.stringify({
    specversion: '1.0',
    id: 'x',
    type: 'violation.opened',
    data: { imei: 'bare' },
  });
  const bareStart = performance.now();
  for (let i = 0; i < POSTS; i++) {
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': `bare-${i}` },
      body,
    });
    await response.body?.cancel();
  }
  const bareRate = POSTS / ((performance.now() - bareStart) / 1000);
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const rate = events / elapsed;
  const storage = process.env['DATABASE_URL'] ? 'PostgreSQL' : 'embedded PGlite';
  process.stdout.write(
    [
      '',
      `Dispatch benchmark — ${DREDGES} dredges, ${storage}, ${os.cpus().length} cores, Node ${process.version}`,
      `  events delivered           ${events} of ${expected} (${received} requests) in ${elapsed.toFixed(2)} s`,
      `  events/s at the webhook    ${rate.toFixed(1)}`,
      `  position → webhook p50     ${percentile(latencies, 50).toFixed(0)} ms`,
      `  position → webhook p99     ${percentile(latencies, 99).toFixed(0)} ms`,
      `  bare POST loop (ceiling)   ${bareRate.toFixed(1)} requests/s (${POSTS} sequential)`,
      `  dispatch ÷ bare POST       ${(rate / bareRate).toFixed(3)}`,
      '',
    ].join('\n'),
  );
  process.exit(events === expected ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
