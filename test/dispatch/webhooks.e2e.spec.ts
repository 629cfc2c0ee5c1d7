import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';
import {
  AgencySetup,
  DispatcherInstance,
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  closeViolation,
  enrolMachine,
  eventually,
  openViolation,
  startDispatcher,
} from './support';

describe.each(storageModes())('webhook delivery to agencies (%s storage)', (mode) => {
  let api: TestApi;
  const receivers: Receiver[] = [];
  const dispatchers: DispatcherInstance[] = [];

  beforeAll(async () => {
    api = await startTestApi(mode, { ...FAST_DISPATCH, DISPATCH_RETRY_WINDOW_SECONDS: '3' });
  });
  afterEach(async () => {
    while (dispatchers.length > 0) await dispatchers.pop()!.close();
    while (receivers.length > 0) await receivers.pop()!.stop();
  });
  afterAll(() => api.close());

  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const dispatcher = async () => {
    const d = await startDispatcher(api);
    dispatchers.push(d);
    return d;
  };
  const deliveriesOf = (agency: AgencySetup) =>
    api.database.db.selectFrom('deliveries').selectAll().where('agency_id', '=', agency.id).execute();

  it('delivers a signed CloudEvent to the agencies whose subscriptions match, and to no other', async () => {
    const fema = await receiver();
    const cusco = await receiver();
    const femaAgency = await agencyWithWebhook(api, fema, {
      departments: ['MADRE DE DIOS'],
      zoneKinds: ['water_body'],
    });
    const cuscoAgency = await agencyWithWebhook(api, cusco, { departments: ['CUSCO'] });
    await dispatcher();
    const machine = await enrolMachine(api, 'MADRE DE DIOS');
    const violation = await openViolation(api, machine);

    await eventually(() => fema.requests.length >= 1, 'the FEMA webhook');
    const request = fema.requests[0]!;
    // The reference implementation of Standard Webhooks verifies the request.
    const event = new Webhook(femaAgency.secret).verify(request.body, {
      'webhook-id': request.headers['webhook-id'] as string,
      'webhook-timestamp': request.headers['webhook-timestamp'] as string,
      'webhook-signature': request.headers['webhook-signature'] as string,
    }) as Record<string, unknown>;
    expect(request.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(event).toMatchObject({
      specversion: '1.0',
      id: request.headers['webhook-id'],
      type: 'violation.opened',
      source: 'urn:centinela:alerts',
      subject: violation.id,
      agency: femaAgency.code,
      datacontenttype: 'application/json',
      data: {
        id: violation.id,
        machineId: machine.machineId,
        severity: 'violation',
        department: 'MADRE DE DIOS',
        zone: { kind: 'water_body', legalBasis: 'Decreto Legislativo N° 1100' },
      },
    });
    expect(() =>
      new Webhook(cuscoAgency.secret).verify(request.body, {
        'webhook-id': request.headers['webhook-id'] as string,
        'webhook-timestamp': request.headers['webhook-timestamp'] as string,
        'webhook-signature': request.headers['webhook-signature'] as string,
      }),
    ).toThrow();
    await eventually(async () => (await deliveriesOf(femaAgency))[0]?.status === 'delivered', 'delivered');
    expect(await deliveriesOf(cuscoAgency)).toEqual([]);
    expect(cusco.requests).toEqual([]);
    const outbox = await api.database.db
      .selectFrom('outbox_events')
      .select('published_at')
      .where('aggregate_id', '=', violation.id)
      .executeTakeFirstOrThrow();
    expect(outbox.published_at).not.toBeNull();
  });

  it('refuses webhooks to internal addresses and plain http at registration, with a field message', async () => {
    const agency = await api.post('/v1/agencies', { code: 'SSRF-T', name: 'SSRF test', kind: 'prosecutor' });
    const base = `/v1/agencies/${agency.body.id}/channels`;
    // The suite allows 127.0.0.1 and localhost (its receivers); every other internal address is refused.
    const refused = {
      'https://169.254.169.254/latest/meta-data/': 'link-local',
      'https://10.0.0.5:8080/hook': 'private',
      'https://172.20.1.1/hook': 'private',
      'https://192.168.0.10/hook': 'private',
      'https://100.100.100.200/hook': 'shared (CGNAT)',
      'https://[::1]/hook': 'loopback',
      'https://127.0.0.2/hook': 'loopback',
      'https://api.localhost/hook': 'loopback',
      'https://0.0.0.0/hook': 'unspecified',
      'https://239.1.1.1/hook': 'multicast',
      'https://[::ffff:127.0.0.1]/hook': 'IPv4-mapped',
      'https://[fd00::10]/hook': 'unique local (ULA)',
      'https://[fe80::1]/hook': 'link-local',
      'https://192.0.2.1/hook': 'documentation',
      'https://[2001:db8::1]/hook': 'documentation',
      'http://alertas.sernanp.gob.pe/hook': 'url must use https',
    };
    for (const [url, reason] of Object.entries(refused)) {
      const response = await api.post(base, { kind: 'webhook', url });
      expect({ url, status: response.status }).toEqual({ url, status: 400 });
      expect(response.body.errors).toEqual([{ field: 'url', messages: [expect.stringContaining(reason)] }]);
    }
    expect((await api.get(base)).body).toEqual([]);
    // Hosts on WEBHOOK_ALLOWED_HOSTS may use http (the suites' receivers).
    expect((await api.post(base, { kind: 'webhook', url: 'http://127.0.0.1:9/alerts' })).status).toBe(201);
  });

  it('administers subscriptions and channels (admins only, field-level errors, audited, secret shown once)', async () => {
    const agency = await api.post('/v1/agencies', {
      code: 'SERNANP-T',
      name: 'SERNANP',
      kind: 'protected_areas',
    });
    const base = `/v1/agencies/${agency.body.id}`;
    const invalid = await api.post(`${base}/subscriptions`, {
      zoneKinds: ['volcano'],
      departments: ['ATLANTIS'],
      severities: ['minor'],
      level: 9,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'departments',
      'level',
      'severities',
      'zoneKinds',
    ]);
    const created = await api.post(`${base}/subscriptions`, {
      zoneKinds: ['protected_area', 'buffer_zone'],
      departments: ['madre de dios'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ departments: ['MADRE DE DIOS'], severities: [], level: 0 });
    expect((await api.get(`${base}/subscriptions`)).body).toHaveLength(1);

    const noUrl = await api.post(`${base}/channels`, { kind: 'webhook' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.errors).toEqual([{ field: 'url', messages: ['url is required for a webhook'] }]);
    expect((await api.post(`${base}/channels`, { kind: 'webhook', url: 'ftp://x' })).status).toBe(400);
    const channel = await api.post(`${base}/channels`, {
      kind: 'webhook',
      url: 'https://alertas.sernanp.gob.pe/hook',
    });
    expect(channel.body.secret).toMatch(/^whsec_/);
    const listed = await api.get(`${base}/channels`);
    expect(listed.body).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);
    expect((await api.delete(`${base}/channels/${channel.body.id}`)).status).toBe(204);
    expect((await api.get(`${base}/channels`)).body[0].active).toBe(false);
    expect((await api.delete(`${base}/subscriptions/${created.body.id}`)).status).toBe(204);
    expect((await api.delete(`${base}/subscriptions/${created.body.id}`)).status).toBe(404);
    expect((await api.get('/v1/agencies/00000000-0000-4000-8000-000000000000/channels')).status).toBe(404);

    const officer = await officerToken(api, agency.body.id);
    expect((await api.post(`${base}/subscriptions`, {}, officer)).status).toBe(403);
    expect((await api.get(`${base}/channels`, officer)).status).toBe(403);
    const audit = await api.get(`/v1/audit?entityType=agency&entityId=${agency.body.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'agency.channel_added',
      'agency.channel_deactivated',
      'agency.created',
      'agency.subscription_added',
      'agency.subscription_removed',
    ]);
  });

  it('keeps retrying while the receiver is down; once back it has every event, each id once after deduplication', async () => {
    const down = await receiver();
    const agency = await agencyWithWebhook(api, down, { departments: ['LORETO'] });
    await down.stop();
    const d = await dispatcher();
    const machine = await enrolMachine(api, 'LORETO');
    const opened = [];
    for (let i = 0; i < 4; i++) opened.push(await openViolation(api, machine, { zoneId: `river-down-${i}` }));
    await closeViolation(api, opened[0]!.id);

    // The closed event of the first violation waits, unattempted, until its opened is no longer pending.
    await eventually(async () => {
      const rows = await deliveriesOf(agency);
      const opens = rows.filter((r) => r.event_type === 'violation.opened');
      const closed = rows.filter((r) => r.event_type === 'violation.closed');
      return (
        opens.length === 4 &&
        opens.every(
          (r) => r.attempts >= 2 && r.lease_owner === null && r.last_error !== null && r.status === 'pending',
        ) &&
        closed.length === 1 &&
        closed[0]!.attempts === 0 &&
        closed[0]!.status === 'pending'
      );
    }, 'failed attempts while the receiver is down');
    expect(d.worker.counters.failedAttempts).toBeGreaterThanOrEqual(8);

    await down.start();
    await eventually(
      async () => (await deliveriesOf(agency)).every((r) => r.status === 'delivered'),
      'all delivered',
    );
    const expected = new Set((await deliveriesOf(agency)).map((r) => r.event_id));
    expect(expected.size).toBe(5);
    expect(down.verifiedIds(agency.secret)).toEqual(expected);
    expect(new Set(down.events().map((e) => e.type))).toEqual(
      new Set(['violation.opened', 'violation.closed']),
    );
  });

  it('dead-letters a delivery after the retry window, and an admin replays it with the same event id', async () => {
    const failing = await receiver();
    failing.mode = 'fail';
    const agency = await agencyWithWebhook(api, failing, { departments: ['UCAYALI'] });
    await dispatcher();
    const violation = await openViolation(api, await enrolMachine(api, 'UCAYALI'));

    const dead = await eventually(async () => {
      const listed = await api.get(`/v1/deliveries?status=dead&agencyId=${agency.id}`);
      return listed.body.items?.length === 1 ? listed.body.items[0] : undefined;
    }, 'the dead letter');
    expect(dead).toMatchObject({ violationId: violation.id, eventType: 'violation.opened', lastStatus: 503 });
    expect(dead.attempts).toBeGreaterThanOrEqual(2);
    const attemptsBefore = failing.requests.length;
    expect(new Set(failing.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([dead.eventId]));

    failing.mode = 'ok';
    const officer = await api.get('/v1/deliveries?status=dead', await officerToken(api, agency.id));
    expect(officer.status).toBe(403);
    const replayed = await api.post(`/v1/deliveries/${dead.id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body.replayed).toBe(1);
    await eventually(
      async () => (await deliveriesOf(agency))[0]?.status === 'delivered',
      'replayed delivery',
    );
    expect(failing.requests.length).toBeGreaterThan(attemptsBefore);
    expect(failing.verifiedIds(agency.secret)).toEqual(new Set([dead.eventId]));
    const audit = await api.get(`/v1/audit?entityType=delivery&entityId=${dead.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['delivery.replayed']);
    expect((await api.post('/v1/deliveries/00000000-0000-4000-8000-000000000000/replay')).status).toBe(404);
  });

  it('wakes on change notifications: with polling at its slowest, new events and replayed dead letters are delivered', async () => {
    const target = await receiver();
    target.mode = 'fail';
    const agency = await agencyWithWebhook(api, target, { departments: ['AMAZONAS'] });
    const instance = await startDispatcher(api, { dispatchPollMs: 60_000 });
    dispatchers.push(instance);
    const { worker } = instance;
    const violation = await openViolation(api, await enrolMachine(api, 'AMAZONAS'));
    const dead = await eventually(async () => {
      const [row] = await deliveriesOf(agency);
      return row?.status === 'dead' ? row : undefined;
    }, 'the dead letter');
    expect(worker.counters.woken).toBeGreaterThanOrEqual(1);

    const wokenBefore = worker.counters.woken;
    target.mode = 'ok';
    expect((await api.post(`/v1/deliveries/${dead.id}/replay`)).status).toBe(200);
    await eventually(
      async () => (await deliveriesOf(agency))[0]?.status === 'delivered',
      'the replayed delivery',
    );
    expect(worker.counters.woken).toBeGreaterThan(wokenBefore);
    expect(target.verifiedIds(agency.secret)).toEqual(new Set([dead.event_id]));
    expect(dead.violation_id).toBe(violation.id);
  });

  it('loses nothing when a dispatcher stops mid-delivery: another instance takes over once the lease expires', async () => {
    const slow = await receiver();
    slow.mode = 'hang';
    const agency = await agencyWithWebhook(api, slow, { departments: ['PUNO'] });
    const first = await startDispatcher(api);
    await openViolation(api, await enrolMachine(api, 'PUNO'));
    const leased = await eventually(async () => {
      const [row] = await deliveriesOf(agency);
      return row?.lease_owner === first.worker.instanceId && slow.requests.length === 1 ? row : undefined;
    }, 'a delivery in flight');
    await first.close();
    expect((await deliveriesOf(agency))[0]).toMatchObject({
      status: 'pending',
      lease_owner: first.worker.instanceId,
    });

    slow.mode = 'ok';
    const second = await dispatcher();
    await eventually(async () => (await deliveriesOf(agency))[0]?.status === 'delivered', 'taken over');
    const [row] = await deliveriesOf(agency);
    expect(row!.attempts).toBe(2);
    expect(second.worker.counters.delivered).toBe(1);
    expect(slow.verifiedIds(agency.secret)).toEqual(new Set([leased.event_id]));
  });

  // A separate process can share the database only on a PostgreSQL server.
  if (mode === 'postgres')
    it('loses nothing when a dispatcher process is killed (SIGKILL) mid-delivery', async () => {
      const slow = await receiver();
      slow.mode = 'hang';
      const agency = await agencyWithWebhook(api, slow, { departments: ['TACNA'] });
      const child = await spawnDispatcher(api);
      try {
        await openViolation(api, await enrolMachine(api, 'TACNA'));
        const leased = await eventually(
          async () => {
            const [row] = await deliveriesOf(agency);
            return row?.lease_owner && slow.requests.length === 1 ? row : undefined;
          },
          'a delivery in flight in the child process',
          60_000,
        );
        expect(leased.lease_owner).toMatch(new RegExp(`:${child.pid}:`));
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      slow.mode = 'ok';
      const survivor = await dispatcher();
      await eventually(async () => (await deliveriesOf(agency))[0]?.status === 'delivered', 'taken over');
      expect((await deliveriesOf(agency))[0]!.attempts).toBe(2);
      expect(survivor.worker.counters.delivered).toBe(1);
      expect(slow.verifiedIds(agency.secret).size).toBe(1);
    });

  it('never has two instances deliver the same event at the same time', async () => {
    const shared = await receiver();
    const agency = await agencyWithWebhook(api, shared, { departments: ['CAJAMARCA'] });
    const instances = [await dispatcher(), await dispatcher(), await dispatcher()];
    const machine = await enrolMachine(api, 'CAJAMARCA');
    for (let i = 0; i < 30; i++) await openViolation(api, machine, { zoneId: `river-many-${i}` });
    await eventually(async () => {
      const rows = await deliveriesOf(agency);
      return rows.length === 30 && rows.every((r) => r.status === 'delivered');
    }, 'thirty deliveries');
    expect(shared.requests).toHaveLength(30);
    expect(shared.verifiedIds(agency.secret).size).toBe(30);
    expect(shared.maxConcurrentPerId).toBe(1);
    expect(instances.reduce((n, i) => n + i.worker.counters.delivered, 0)).toBe(30);
  });
});

let officers = 0;
async function officerToken(api: TestApi, agencyId: string): Promise<string> {
  const username = `officer.${++officers}.${Date.now()}`;
  const created = await api.post('/v1/users', {
    username,
    displayName: 'Officer',
    password: 'officer-password-123',
    role: 'enforcement_officer',
    agencyId,
  });
  if (created.status !== 201) throw new Error(`user: ${created.status} ${JSON.stringify(created.body)}`);
  return api.login(username, 'officer-password-123');
}

/** The dispatcher as its own process (`npm run start:dispatcher`) on the suite's PostgreSQL database. */
async function spawnDispatcher(api: TestApi): Promise<ChildProcess> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(api.database.db);
  const url = new URL(process.env['DATABASE_URL']!);
  url.pathname = `/${rows[0]!.name}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-dispatcher-'));
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/dispatcher/src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env['PATH'],
      DATABASE_URL: url.toString(),
      DATABASE_POOL_SIZE: '2',
      JWT_SECRET: api.config.jwtSecret,
      DEVICE_SECRET_KEY: api.config.deviceSecretKey,
      EVIDENCE_SIGNING_KEY: api.config.evidenceSigningKey!,
      WEBHOOK_ALLOWED_HOSTS: api.config.webhookAllowedHosts!,
      EVIDENCE_ANCHOR_INTERVAL_SECONDS: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      ZONE_CATALOGUE_SEED: 'none',
      GEOFENCE_CACHE_DIR: api.config.geofenceCacheDir,
      ...FAST_DISPATCH,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return child;
}
