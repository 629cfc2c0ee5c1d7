import { DeclaredWindowsRepository } from '@app/db';
import { TestApi, startTestApi } from '../support/api';
import { createMachine, createOwner } from '../support/factories';
import { storageModes } from '../support/storage';

describe.each(storageModes())('declared windows of a machine (%s storage)', (mode) => {
  let api: TestApi;
  let clerk: string;
  let officer: string;
  let machineId: string;

  async function createUser(username: string, role: string, agencyId?: string): Promise<string> {
    const response = await api.post('/v1/users', {
      username,
      displayName: username,
      password: 'a-long-enough-password',
      role,
      ...(agencyId ? { agencyId } : {}),
    });
    expect(response.status).toBe(201);
    return api.login(username, 'a-long-enough-password');
  }

  beforeAll(async () => {
    api = await startTestApi(mode);
    const agency = await api.post('/v1/agencies', {
      code: 'FEMA-MDD',
      name: 'Fiscalía Especializada en Materia Ambiental de Madre de Dios',
      kind: 'prosecutor',
      department: 'MADRE DE DIOS',
    });
    expect(agency.status).toBe(201);
    clerk = await createUser('clerk-windows', 'registry_clerk');
    officer = await createUser('officer-windows', 'enforcement_officer', agency.body.id as string);
    const owner = await createOwner(api);
    machineId = (await createMachine(api, owner.id, { category: 'dredge' })).id;
  });
  afterAll(() => api.close());

  const maintenance = {
    kind: 'maintenance',
    from: '2026-12-02T13:00:00Z',
    to: '2026-12-02T19:00:00Z',
    reason: 'Engine overhaul at the Puerto Maldonado workshop',
    reference: 'OT-2026-0415',
  };

  it('lets a clerk declare a window, audited, and officers read it', async () => {
    const created = await api.post(`/v1/machines/${machineId}/windows`, maintenance, clerk);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      machineId,
      kind: 'maintenance',
      from: '2026-12-02T13:00:00.000Z',
      to: '2026-12-02T19:00:00.000Z',
      reason: maintenance.reason,
      reference: 'OT-2026-0415',
      status: 'active',
      cancelledAt: null,
    });
    const listed = await api.get(`/v1/machines/${machineId}/windows`, officer);
    expect(listed.status).toBe(200);
    expect((listed.body as Array<{ id: string }>).map((w) => w.id)).toContain(created.body.id);

    const audit = await api.get(`/v1/audit?entityType=machine&entityId=${machineId}&pageSize=200`);
    const declared = (
      audit.body.items as Array<{ action: string; actor: { username: string }; after: { id: string } }>
    ).find((e) => e.action === 'machine.window_declared');
    expect(declared).toMatchObject({ actor: { username: 'clerk-windows' }, after: { id: created.body.id } });
  });

  it('refuses officers writing windows', async () => {
    const response = await api.post(`/v1/machines/${machineId}/windows`, maintenance, officer);
    expect(response.status).toBe(403);
  });

  it('reports every invalid field at once, and an end not after the start on `to`', async () => {
    const response = await api.post(`/v1/machines/${machineId}/windows`, {
      kind: 'holiday',
      from: '2026-12-02T19:00:00Z',
      to: '2026-12-02T13:00:00Z',
      reason: '',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Validation failed',
    });
    const fields = (response.body.errors as Array<{ field: string; messages: string[] }>)
      .map((e) => e.field)
      .sort();
    expect(fields).toEqual(['kind', 'reason', 'to']);
    const to = (response.body.errors as Array<{ field: string; messages: string[] }>).find(
      (e) => e.field === 'to',
    );
    expect(to?.messages.join(' ')).toMatch(/to must be after from/);

    const unreadable = await api.post(`/v1/machines/${machineId}/windows`, {
      ...maintenance,
      from: '2 Dec',
      to: 'later',
    });
    expect((unreadable.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'from',
      'to',
    ]);
    const equal = await api.post(`/v1/machines/${machineId}/windows`, {
      ...maintenance,
      to: maintenance.from,
    });
    expect(equal.status).toBe(400);
    const tooLong = await api.post(`/v1/machines/${machineId}/windows`, {
      ...maintenance,
      to: '2028-01-01T00:00:00Z',
    });
    expect(tooLong.status).toBe(400);
  });

  it('answers 404 for an unknown machine or window, and 400 for an id that is not a UUID', async () => {
    const unknown = '6f1b1e2a-4c59-4d7e-9a51-0b8f2c9d3e41';
    expect((await api.post(`/v1/machines/${unknown}/windows`, maintenance)).status).toBe(404);
    expect((await api.get(`/v1/machines/${unknown}/windows`)).status).toBe(404);
    expect(
      (await api.post(`/v1/machines/${machineId}/windows/${unknown}/cancel`, { reason: 'typo' })).status,
    ).toBe(404);
    expect((await api.get('/v1/machines/not-a-uuid/windows')).status).toBe(400);
  });

  it('cancels a window (kept, marked cancelled, audited) once, and keeps it out of the windows in force', async () => {
    const transport = await api.post(
      `/v1/machines/${machineId}/windows`,
      {
        kind: 'authorised_transport',
        from: '2026-12-05T08:00:00Z',
        to: '2026-12-05T14:00:00Z',
        reason: 'Carried to Laberinto',
      },
      clerk,
    );
    expect(transport.status).toBe(201);
    const repo = new DeclaredWindowsRepository(api.database.db);
    const inForce = (from: string, to: string) =>
      repo.activeOverlapping(machineId, new Date(from), new Date(to)).then((rows) => rows.map((r) => r.id));
    expect(await inForce('2026-12-05T13:00:00Z', '2026-12-06T00:00:00Z')).toEqual([transport.body.id]);
    expect(await inForce('2026-12-05T14:00:00Z', '2026-12-06T00:00:00Z')).toEqual([]);

    const cancelled = await api.post(
      `/v1/machines/${machineId}/windows/${transport.body.id}/cancel`,
      { reason: 'Transport postponed' },
      clerk,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'Transport postponed' });
    expect(await inForce('2026-12-05T13:00:00Z', '2026-12-06T00:00:00Z')).toEqual([]);
    const again = await api.post(
      `/v1/machines/${machineId}/windows/${transport.body.id}/cancel`,
      { reason: 'twice' },
      clerk,
    );
    expect(again.status).toBe(422);
    expect(
      (await api.post(`/v1/machines/${machineId}/windows/${transport.body.id}/cancel`, {}, clerk)).status,
    ).toBe(400);

    const listed = await api.get(`/v1/machines/${machineId}/windows`, officer);
    expect(listed.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: transport.body.id, status: 'cancelled' })]),
    );
    const audit = await api.get(`/v1/audit?entityType=machine&entityId=${machineId}&pageSize=200`);
    expect((audit.body.items as Array<{ action: string }>).map((e) => e.action)).toContain(
      'machine.window_cancelled',
    );
  });
});
