import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededGeofenceCache } from '../support/geofence-fixtures';
import { freePort } from '../support/ports';

const ROOT = path.resolve(__dirname, '../..');

/** `npm start` as a user runs it (output to a pipe, so without colour or the redrawn block). */
class MainJob {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/centinela/src/main.ts', ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no ${pattern} in the output of the main job:\n${this.output}`);
  }

  interrupt(): void {
    this.child.kill('SIGINT');
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

// The waits are guards against a hang, not timings: on a loaded 2-core machine a first start (PGlite creating and
// migrating its data directory) has taken over a minute.
describe('the main job (npm start) on embedded services', () => {
  let dataDir: string;
  const jobs: MainJob[] = [];

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-main-'));
  });
  afterAll(() => {
    for (const job of jobs) job.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(args: string[] = []): Promise<MainJob> {
    const job = new MainJob(args, {
      DATA_DIR: dataDir,
      HTTP_PORT: String(await freePort()),
      MQTT_EMBEDDED_PORT: String(await freePort()),
      GEOFENCE_CACHE_DIR: seededGeofenceCache(path.join(dataDir, 'geofence-cache')),
    });
    jobs.push(job);
    return job;
  }

  it('starts the product, runs the demo with readable alert lines and deliveries, and stops on Ctrl-C with 0', async () => {
    const job = await start();
    const [, apiUrl] = await job.waitFor(/Registry API {3}(http:\/\/\S+)\/v1/, 150_000);
    expect(job.output).toMatch(/API docs {7}http:\/\/\S+\/docs/);
    expect(job.output).toMatch(/MQTT broker {4}mqtt:\/\/127\.0\.0\.1:\d+ \(embedded/);
    expect(job.output).toMatch(/Live alerts {4}http:\/\/\S+\/v1\/alerts\/stream/);
    expect(job.output).toContain(
      'Demo agencies  created FEMA-MDD, PNP-DIRMEAMB, SERNANP, OEFA, ANA, GORE-MDD',
    );

    // Peru's local time of the event, the registry number, the zone with its coordinates and the legal basis.
    await job.waitFor(
      /\d\d:\d\d:\d\d ● VIOLATION opened +dredge-onto-river #1 MAQ-\d{4}-\d{6} +Draga o artefacto flotante en un cuerpo de agua · Río Madre de Dios \(water body\) @ -\d+\.\d+, -\d+\.\d+ · Decreto Legislativo N° 1100/,
      150_000,
    );
    await job.waitFor(
      /↳ violation\.opened \(dredge-onto-river #1, Río Madre de Dios\) delivered to ANA, /,
      30_000,
    );
    expect(job.output).not.toMatch(/signature NOT verified/);
    // The product's own log went to its file, not to the terminal.
    expect(job.output).not.toContain('[Nest]');
    expect(fs.readFileSync(path.join(dataDir, 'centinela.log'), 'utf8')).toContain('[RegistryApi]');
    const docs = await fetch(`${apiUrl}/docs/openapi.json`);
    expect(docs.status).toBe(200);

    // Administrators read ingest's counters and refused messages from the database, as from a registry API alone.
    const password = fs.readFileSync(path.join(dataDir, 'secrets', 'admin-password'), 'utf8').trim();
    const login = await fetch(`${apiUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const admin = { authorization: `Bearer ${accessToken}` };
    const written = Date.now() + 30_000;
    let stats: { ingest: { fixesStored: number }; instances: number } | undefined;
    // The main job writes its counters every INGEST_COUNTERS_FLUSH_MS (5 s): the demo's fixes appear by then.
    while (Date.now() < written && !(stats && stats.ingest.fixesStored > 0)) {
      const response = await fetch(`${apiUrl}/v1/ingest/stats`, { headers: admin });
      expect(response.status).toBe(200);
      stats = (await response.json()) as typeof stats;
      if (!(stats && stats.ingest.fixesStored > 0)) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(stats).toMatchObject({ instances: 1, ingest: { fixesStored: expect.any(Number) } });
    expect(stats!.ingest.fixesStored).toBeGreaterThan(0);
    expect((await fetch(`${apiUrl}/v1/ingest/refused`, { headers: admin })).status).toBe(200);

    job.interrupt();
    expect(await job.exited).toBe(0);
    expect(job.output).toMatch(/Demo stopped: \d+ machines/);
  }, 420_000);

  it('starts again on the same data with the demo agencies of the first start', async () => {
    const job = await start(['--demo']);
    await job.waitFor(/Demo agencies {2}.*\(from an earlier start\)/, 150_000);
    await job.waitFor(/▶ dredge-onto-river #1/, 60_000);
    job.interrupt();
    expect(await job.exited).toBe(0);
  }, 240_000);

  it('stops with 0 on Ctrl-C while it is still starting', async () => {
    const job = await start();
    await job.waitFor(/is starting/, 30_000);
    job.interrupt();
    expect(await job.exited).toBe(0);
  }, 60_000);

  it('refuses unknown arguments with 2', async () => {
    const job = await start(['--bogus']);
    expect(await job.exited).toBe(2);
    expect(job.output).toContain('unknown argument "--bogus"');
  });
});
