import { hashDeviceSecret, verifyDeviceSecret } from '@app/registry';
import { TestApi, startTestApi } from '../support/api';
import { anImei, createMachine, createOwner, createTracker } from '../support/factories';
import { storageModes } from '../support/storage';

describe.each(storageModes())('trackers and device credentials (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode);
  });
  afterAll(() => api.close());

  async function storedHash(trackerId: string): Promise<string | null> {
    const row = await api.database.db
      .selectFrom('trackers')
      .select('secret_hash')
      .where('id', '=', trackerId)
      .executeTakeFirstOrThrow();
    return row.secret_hash;
  }

  it('registers a tracker with its reporting intervals', async () => {
    const tracker = await createTracker(api, { intervalMovingSeconds: 30, intervalIgnitionOffSeconds: 600 });
    const fetched = await api.get(`/v1/trackers/${tracker.id}`);
    expect(fetched.body).toMatchObject({
      imei: tracker.imei,
      intervalMovingSeconds: 30,
      intervalIgnitionOffSeconds: 600,
      credentials: 'none',
      machineId: null,
    });
  });

  it('rejects an IMEI failing the Luhn check and a bad ICCID, with fields', async () => {
    const imei = anImei();
    const wrong = imei.slice(0, 14) + ((Number(imei[14]) + 1) % 10);
    const response = await api.post('/v1/trackers', {
      imei: wrong,
      model: 'X',
      iccid: '8951',
      intervalMovingSeconds: 5,
      intervalIgnitionOffSeconds: 900,
    });
    expect(response.status).toBe(400);
    expect((response.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'iccid',
      'imei',
      'intervalMovingSeconds',
    ]);
  });

  it('rejects a duplicate IMEI with 409', async () => {
    const tracker = await createTracker(api);
    const response = await api.post('/v1/trackers', {
      imei: tracker.imei,
      model: 'X',
      intervalMovingSeconds: 60,
      intervalIgnitionOffSeconds: 900,
    });
    expect(response.status).toBe(409);
    expect(response.body.errors[0].field).toBe('imei');
  });

  it('issues a secret once, stores only its HMAC, rotates and revokes it', async () => {
    const tracker = await createTracker(api);
    const issued = await api.post(`/v1/trackers/${tracker.id}/credentials`);
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ username: tracker.imei, clientId: tracker.imei });
    const secret = issued.body.password as string;
    expect(secret.length).toBeGreaterThanOrEqual(43);
    const hash = await storedHash(tracker.id);
    expect(hash).toBe(hashDeviceSecret(api.config.deviceSecretKey, secret));
    expect(hash).not.toContain(secret);
    const fetched = await api.get(`/v1/trackers/${tracker.id}`);
    expect(JSON.stringify(fetched.body)).not.toContain(secret);
    expect(fetched.body.credentials).toBe('active');

    const rotated = await api.post(`/v1/trackers/${tracker.id}/credentials`);
    const newHash = await storedHash(tracker.id);
    expect(rotated.body.password).not.toBe(secret);
    expect(verifyDeviceSecret(api.config.deviceSecretKey, secret, newHash!)).toBe(false);
    expect(verifyDeviceSecret(api.config.deviceSecretKey, rotated.body.password, newHash!)).toBe(true);

    const revoked = await api.delete(`/v1/trackers/${tracker.id}/credentials`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.credentials).toBe('revoked');
    expect(await storedHash(tracker.id)).toBeNull();
    expect((await api.delete(`/v1/trackers/${tracker.id}/credentials`)).status).toBe(422);

    const actions = (await api.get(`/v1/audit?entityType=tracker&entityId=${tracker.id}`)).body.items.map(
      (e: { action: string }) => e.action,
    );
    expect(actions.sort()).toEqual([
      'tracker.credentials_issued',
      'tracker.credentials_revoked',
      'tracker.credentials_rotated',
      'tracker.registered',
    ]);
    const auditText = JSON.stringify(
      (await api.get(`/v1/audit?entityType=tracker&entityId=${tracker.id}`)).body,
    );
    expect(auditText).not.toContain(secret);
    expect(auditText).not.toContain(hash!);
  });

  it('binds and unbinds trackers and keeps which tracker was on which machine when', async () => {
    const owner = await createOwner(api);
    const machine = await createMachine(api, owner.id);
    const first = await createTracker(api);
    const second = await createTracker(api);
    expect((await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: first.id })).status).toBe(201);
    const busy = await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: second.id });
    expect(busy.status).toBe(409);
    expect(busy.body.errors[0].field).toBe('machineId');
    const unbound = await api.post(`/v1/machines/${machine.id}/tracker/unbind`, {
      reason: 'faulty GNSS antenna',
    });
    expect(unbound.status).toBe(200);
    expect((await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: second.id })).status).toBe(201);

    const history = await api.get(`/v1/machines/${machine.id}/history`);
    const trackers = history.body.trackers as Array<{
      imei: string;
      from: string;
      to: string | null;
      unbindReason: string | null;
    }>;
    expect(trackers.map((t) => [t.imei, t.unbindReason])).toEqual([
      [first.imei, 'faulty GNSS antenna'],
      [second.imei, null],
    ]);
    expect(trackers[0]!.to).not.toBeNull();
    expect(trackers[1]!.to).toBeNull();
    const firstTracker = await api.get(`/v1/trackers/${first.id}`);
    expect(firstTracker.body.machineId).toBeNull();
    expect(firstTracker.body.machines).toHaveLength(1);
    expect((await api.get(`/v1/trackers?bound=true&imei=${second.imei}`)).body.total).toBe(1);
    expect((await api.get(`/v1/trackers?bound=false&imei=${second.imei}`)).body.total).toBe(0);
  });

  it('dates a binding at the installation a clerk records, within the last 30 days and after any earlier binding', async () => {
    const owner = await createOwner(api);
    const machine = await createMachine(api, owner.id);
    const other = await createMachine(api, owner.id);
    const tracker = await createTracker(api);
    const bind = (machineId: string, installedAt?: string) =>
      api.post(`/v1/machines/${machineId}/tracker`, {
        trackerId: tracker.id,
        ...(installedAt ? { installedAt } : {}),
      });
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

    const invalid = await bind(machine.id, 'yesterday');
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toBe('installedAt');
    expect((await bind(machine.id, ago(-3_600_000))).status).toBe(422);
    expect((await bind(machine.id, ago(40 * 24 * 3_600_000))).status).toBe(422);

    const installedAt = ago(2 * 3_600_000);
    const bound = await bind(machine.id, installedAt);
    expect(bound.status).toBe(201);
    expect(new Date(bound.body.boundAt).toISOString()).toBe(installedAt);
    const audit = await api.get(`/v1/audit?entityType=machine&entityId=${machine.id}`);
    expect(JSON.stringify(audit.body)).toContain('tracker.bound');

    expect(
      (await api.post(`/v1/machines/${machine.id}/tracker/unbind`, { reason: 'moved to another machine' }))
        .status,
    ).toBe(200);
    const beforeUnbinding = await bind(other.id, installedAt);
    expect(beforeUnbinding.status).toBe(422);
    expect(beforeUnbinding.body.errors[0].field).toBe('installedAt');
    expect((await bind(other.id)).status).toBe(201);
  });

  it('refuses to bind a tracker that is on another machine', async () => {
    const owner = await createOwner(api);
    const a = await createMachine(api, owner.id);
    const b = await createMachine(api, owner.id);
    const tracker = await createTracker(api);
    await api.post(`/v1/machines/${a.id}/tracker`, { trackerId: tracker.id });
    const response = await api.post(`/v1/machines/${b.id}/tracker`, { trackerId: tracker.id });
    expect(response.status).toBe(409);
    expect(response.body.errors[0].field).toBe('trackerId');
  });

  it('keeps one open binding per tracker even when two clerks race', async () => {
    const owner = await createOwner(api);
    const machines = await Promise.all([
      createMachine(api, owner.id),
      createMachine(api, owner.id),
      createMachine(api, owner.id),
    ]);
    const tracker = await createTracker(api);
    const responses = await Promise.all(
      machines.map((m) => api.post(`/v1/machines/${m.id}/tracker`, { trackerId: tracker.id })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('will not unbind the tracker of an active machine', async () => {
    const owner = await createOwner(api);
    const machine = await createMachine(api, owner.id);
    const tracker = await createTracker(api);
    await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id });
    await api.post(`/v1/trackers/${tracker.id}/credentials`);
    expect(
      (await api.post(`/v1/machines/${machine.id}/status`, { status: 'active', reason: 'installed' })).status,
    ).toBe(200);
    const response = await api.post(`/v1/machines/${machine.id}/tracker/unbind`, { reason: 'swap' });
    expect(response.status).toBe(422);
    expect((await api.get(`/v1/machines/${machine.id}`)).body.tracker.imei).toBe(tracker.imei);
  });
});
