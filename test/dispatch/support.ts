import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as http from 'node:http';
import * as net from 'node:net';
import { AppConfig, ConfigModule } from '@app/config';
import { BrokerModule } from '@app/broker';
import { Database, DbModule, Store as StoreRef, ViolationRow } from '@app/db';
import { verifyWebhook } from '@app/dispatch';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { DispatchWorker } from '../../apps/dispatcher/src/dispatch.worker';
import type { TestApi } from '../support/api';
import { createMachine, createOwner, createTracker } from '../support/factories';
import { testTime } from '../support/test-time';

/** Settings that make retries, leases and escalation fast enough for a test. */
export const FAST_DISPATCH: Record<string, string> = {
  DISPATCH_POLL_MS: '25',
  DISPATCH_RETRY_INITIAL_MS: '50',
  DISPATCH_RETRY_MAX_MS: '200',
  DISPATCH_LEASE_SECONDS: '2',
  DISPATCH_WEBHOOK_TIMEOUT_MS: '10000',
  DISPATCH_ESCALATION_SECONDS: '3600',
};

export interface ReceivedRequest {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export type ReceiverMode = 'ok' | 'fail' | 'hang';

/** A real HTTP receiver, as an agency would run: it records every request; it can fail, hang, stop and come back. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  mode: ReceiverMode = 'ok';
  /** Requests in flight per webhook-id, and the most ever at once. */
  private readonly inFlight = new Map<string, number>();
  maxConcurrentPerId = 0;
  private server: http.Server | undefined;
  private readonly hanging = new Set<http.ServerResponse>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/alerts`;
  }

  async start(): Promise<this> {
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const id = String(request.headers['webhook-id'] ?? '');
        const now = (this.inFlight.get(id) ?? 0) + 1;
        this.inFlight.set(id, now);
        this.maxConcurrentPerId = Math.max(this.maxConcurrentPerId, now);
        const done = () => this.inFlight.set(id, (this.inFlight.get(id) ?? 1) - 1);
        this.requests.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        if (this.mode === 'hang') {
          this.hanging.add(response);
          response.on('close', done);
          return;
        }
        // A little work per request, so that overlapping deliveries of one id would show.
        setTimeout(() => {
          done();
          response.writeHead(this.mode === 'ok' ? 204 : 503).end();
        }, 5);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening: connections are refused until `start` again (same port). */
  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Distinct webhook ids received whose signature verifies with `secret`. */
  verifiedIds(secret: string): Set<string> {
    const ids = new Set<string>();
    for (const r of this.requests) {
      const verdict = verifyWebhook(
        secret,
        {
          'webhook-id': r.headers['webhook-id'] as string,
          'webhook-timestamp': r.headers['webhook-timestamp'] as string,
          'webhook-signature': r.headers['webhook-signature'] as string,
        },
        r.body,
        new Date(r.at),
      );
      if (verdict.valid) ids.add(r.headers['webhook-id'] as string);
    }
    return ids;
  }

  events(): Array<{ id: string; type: string; subject: string; data: Record<string, unknown> }> {
    return this.requests.map((r) => JSON.parse(r.body));
  }
}

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs` with the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

@Module({})
class DispatcherTestModule {
  static forRoot(config: AppConfig, database: Database): DynamicModule {
    return {
      module: DispatcherTestModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule.forDatabase(database),
        BrokerModule.forRoot(),
        DispatcherModule,
      ],
    };
  }
}

export interface DispatcherInstance {
  readonly app: INestApplicationContext;
  readonly worker: DispatchWorker;
  close(): Promise<void>;
}

/** A dispatcher instance of its own (as another process would be) on the suite's database. */
export async function startDispatcher(
  api: TestApi,
  overrides: Partial<AppConfig> = {},
): Promise<DispatcherInstance> {
  // The database belongs to the suite: closing this instance must not close it.
  const shared: Database = { ...api.database, close: async () => undefined };
  const app = await NestFactory.createApplicationContext(
    DispatcherTestModule.forRoot({ ...api.config, ...overrides }, shared),
    { logger: ['error'] },
  );
  return { app, worker: app.get(DispatchWorker), close: () => app.close() };
}

export interface AgencySetup {
  readonly id: string;
  readonly code: string;
  readonly secret: string;
  readonly channelId: string;
}

let agencies = 0;

/** An agency with one subscription and a webhook channel to `receiver`, configured through the API. */
export async function agencyWithWebhook(
  api: TestApi,
  receiver: Receiver,
  subscription: object,
  kind = 'prosecutor',
): Promise<AgencySetup> {
  const code = `AG-${Date.now().toString(36).toUpperCase()}-${++agencies}`;
  const agency = await api.post('/v1/agencies', { code, name: `Agency ${code}`, kind });
  if (agency.status !== 201) throw new Error(`agency: ${agency.status} ${JSON.stringify(agency.body)}`);
  const sub = await api.post(`/v1/agencies/${agency.body.id}/subscriptions`, subscription);
  if (sub.status !== 201) throw new Error(`subscription: ${sub.status} ${JSON.stringify(sub.body)}`);
  const channel = await api.post(`/v1/agencies/${agency.body.id}/channels`, {
    kind: 'webhook',
    url: receiver.url,
  });
  if (channel.status !== 201) throw new Error(`channel: ${channel.status} ${JSON.stringify(channel.body)}`);
  return { id: agency.body.id, code, secret: channel.body.secret, channelId: channel.body.id };
}

/** A machine with a bound tracker, enrolled through the API. */
export async function enrolMachine(api: TestApi, department = 'MADRE DE DIOS', category = 'dredge') {
  const owner = await createOwner(api);
  const machine = await createMachine(api, owner.id, { category, department });
  const tracker = await createTracker(api);
  const bound = await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id });
  if (bound.status !== 201) throw new Error(`bind: ${bound.status}`);
  return { machineId: machine.id, imei: tracker.imei };
}

let episodes = 0;

/**
 * Opens a violation with its outbox event in one transaction, as ingest's rules do (the river test of ingest
 * drives the same path through MQTT).
 */
export async function openViolation(
  api: TestApi,
  machine: { machineId: string; imei: string },
  overrides: {
    zoneKind?: string;
    zoneId?: string;
    severity?: string;
    ruleId?: string;
    department?: string;
  } = {},
): Promise<ViolationRow> {
  const at = new Date(Date.parse(testTime(20, '08:00:00')) + ++episodes * 60_000);
  return api.app.get(StoreRef).transaction(async (repos) => {
    const row = await repos.violations.open({
      machineId: machine.machineId,
      imei: machine.imei,
      zoneId: overrides.zoneId ?? `river-${episodes}`,
      zoneName: 'Río de Prueba',
      zoneKind: overrides.zoneKind ?? 'water_body',
      ruleId: overrides.ruleId ?? 'dredge-in-water-body',
      severity: overrides.severity ?? 'violation',
      legalBasis: 'Decreto Legislativo N° 1100',
      title: 'Draga o artefacto flotante en un cuerpo de agua',
      titleEn: 'Dredge or floating artefact in a water body',
      description: 'Draga en un cuerpo de agua',
      descriptionEn: 'Dredge in a water body',
      catalogueVersion: 'test-catalogue',
      episodeId: `episode-${episodes}`,
      startedAt: at,
      confirmedAt: at,
      lastSeenAt: at,
      late: false,
      delayMs: 0,
      confirmingFixes: [{ time: at.getTime(), receivedAt: at.getTime(), lat: -12.85, lon: -69.55 }],
      department: overrides.department ?? null,
    });
    if (!row) throw new Error('violation not opened');
    await repos.violations.addOutboxEvent('violation.opened', 'violation', row.id, row);
    return row;
  });
}

/** Closes a violation with its outbox event, as ingest does when the machine leaves the zone. */
export async function closeViolation(api: TestApi, id: string): Promise<void> {
  await api.app.get(StoreRef).transaction(async (repos) => {
    const row = await repos.violations.update(id, { status: 'closed', closedAt: new Date() });
    await repos.violations.addOutboxEvent('violation.closed', 'violation', id, row);
  });
}

/** A violation's export as its bytes were sent, with its content type and signature headers. */
export async function exportOf(api: TestApi, violationId: string, format: 'geojson' | 'kml' | 'csv') {
  const response = await api
    .http()
    .get(`/v1/violations/${violationId}/export?format=${format}`)
    .set('authorization', `Bearer ${api.adminToken}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  expect(response.status).toBe(200);
  return {
    body: response.body as Buffer,
    contentType: response.headers['content-type'] as string,
    signature: {
      timestamp: response.headers['evidence-timestamp'] as string,
      sha256: response.headers['evidence-sha256'] as string,
      signature: response.headers['evidence-signature'] as string,
      keyId: response.headers['evidence-key-id'] as string,
    },
  };
}
