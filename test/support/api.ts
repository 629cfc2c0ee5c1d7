import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { Response } from 'supertest';
import { AppConfig, loadConfig } from '@app/config';
import { StorageMode } from '@app/db';
import { createRegistryApi } from '../../apps/registry-api/src/registry-api';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { startIngest } from '../../apps/ingest/src/ingest.runtime';
import { seededGeofenceCache } from './geofence-fixtures';
import { TestDatabase, openTestDatabase } from './storage';

export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

/** The suites' evidence signing key (Ed25519, generated once per test process). */
export const TEST_EVIDENCE_KEY = crypto
  .generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export interface TestApi {
  readonly app: INestApplication;
  readonly database: TestDatabase;
  readonly config: AppConfig;
  readonly adminToken: string;
  http(): ReturnType<typeof request>;
  /** Authenticated request helpers. */
  get(url: string, token?: string): Promise<Response>;
  post(url: string, body?: object, token?: string): Promise<Response>;
  patch(url: string, body: object, token?: string): Promise<Response>;
  delete(url: string, token?: string): Promise<Response>;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-test-'));
  return loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    HTTP_PORT: '0',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
    DEVICE_SECRET_KEY: 'test-device-key-that-is-long-enough-0123456789',
    ZONE_CATALOGUE_SEED: 'none',
    // The default catalogue and its index as built for this run: seeding the default catalogue loads them.
    GEOFENCE_CACHE_DIR: seededGeofenceCache(path.join(dataDir, 'geofence-cache')),
    // A few broker connections are plenty for a suite's trackers.
    INGEST_MQTT_CONNECTIONS: '8',
    // The suites write their fixes on test days up to ten days before they run (test-time.ts), from trackers
    // enrolled a month before (enrolDevice): a month of late fixes is trusted.
    DEVICE_CLOCK_MAX_AGE_HOURS: '720',
    // The suites' webhook receivers listen on the loopback address (docs/security.md, outbound calls).
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
    // The evidence signing key, outside the database, in both storage modes.
    EVIDENCE_SIGNING_KEY: TEST_EVIDENCE_KEY,
    // No periodic evidence anchors: the suites' receivers count what they get (anchors are tested on their own).
    EVIDENCE_ANCHOR_INTERVAL_SECONDS: '0',
    ...overrides,
  });
}

export async function startTestApi(
  mode: StorageMode,
  overrides: Record<string, string> = {},
  modules: Array<Type | DynamicModule> = [],
  /** An existing database to run on (a restart); by default a fresh one for the suite. */
  existing?: TestDatabase,
): Promise<TestApi> {
  const config = testConfig(overrides);
  const database = existing ?? (await openTestDatabase(mode));
  const app = await createRegistryApi(config, database, modules);
  await app.init();
  if (modules.includes(IngestModule)) await startIngest(app);
  const http = () => request(app.getHttpServer());
  const login = async (username: string, password: string) => {
    const response = await http().post('/v1/auth/login').send({ username, password }).expect(200);
    return (response.body as { accessToken: string }).accessToken;
  };
  const adminToken = await login('admin', ADMIN_PASSWORD);
  const auth = (token?: string) => ({ authorization: `Bearer ${token ?? adminToken}` });
  return {
    app,
    database,
    config,
    adminToken,
    http,
    login,
    get: (url, token) => http().get(url).set(auth(token)),
    post: (url, body, token) =>
      http()
        .post(url)
        .set(auth(token))
        .send(body ?? {}),
    patch: (url, body, token) => http().patch(url).set(auth(token)).send(body),
    delete: (url, token) => http().delete(url).set(auth(token)),
    close: async () => {
      await app.close();
      await database.dispose();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
