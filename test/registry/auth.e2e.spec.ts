import { JwtService } from '@nestjs/jwt';
import { ADMIN_PASSWORD, TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';

describe.each(storageModes())('access control (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode);
  });
  afterAll(() => api.close());

  async function createAgency(code: string): Promise<string> {
    const response = await api.post('/v1/agencies', {
      code,
      name: `Agency ${code}`,
      kind: 'prosecutor',
      department: 'Madre de Dios',
    });
    expect(response.status).toBe(201);
    expect(response.body.department).toBe('MADRE DE DIOS');
    return response.body.id as string;
  }

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

  it('creates the first administrator from configuration and logs them in', async () => {
    const response = await api
      .http()
      .post('/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 3600,
      user: { username: 'admin', role: 'admin' },
    });
    const me = await api.get('/v1/auth/me', response.body.accessToken);
    expect(me.body).toMatchObject({ username: 'admin', role: 'admin' });
  });

  it('refuses a wrong password and an unknown user with the same 401', async () => {
    const wrong = await api.http().post('/v1/auth/login').send({ username: 'admin', password: 'nope' });
    const unknown = await api.http().post('/v1/auth/login').send({ username: 'ghost', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
  });

  it('rejects a login without fields with 400 and field messages', async () => {
    const response = await api.http().post('/v1/auth/login').send({});
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'password',
      'username',
    ]);
  });

  it('requires a valid, unexpired bearer token on every registry endpoint', async () => {
    expect((await api.http().get('/v1/machines')).status).toBe(401);
    expect((await api.get('/v1/machines', 'not-a-token')).status).toBe(401);
    const expired = await new JwtService({ secret: api.config.jwtSecret }).signAsync(
      { sub: 'x' },
      { expiresIn: -10 },
    );
    const response = await api.get('/v1/machines', expired);
    expect(response.status).toBe(401);
    expect(response.body.message).toBe('token expired');
    const forged = await new JwtService({ secret: 'another-secret-another-secret-123' }).signAsync({
      sub: 'x',
    });
    expect((await api.get('/v1/machines', forged)).status).toBe(401);
  });

  it('enforces roles: officers read, clerks write the registry, only admins manage users', async () => {
    const agencyId = await createAgency('FEMA-MDD');
    const officer = await createUser('officer1', 'enforcement_officer', agencyId);
    const clerk = await createUser('clerk1', 'registry_clerk');
    const integration = await createUser('integration1', 'agency_integration', agencyId);

    expect((await api.get('/v1/machines', officer)).status).toBe(200);
    const officerWrite = await api.post(
      '/v1/owners',
      { kind: 'person', documentType: 'DNI', documentNumber: '45678912', name: 'X' },
      officer,
    );
    expect(officerWrite.status).toBe(403);
    expect(officerWrite.body.message).toContain('enforcement_officer');
    expect((await api.get('/v1/machines', integration)).status).toBe(403);
    expect(
      (
        await api.post(
          '/v1/users',
          { username: 'x', displayName: 'x', password: 'y'.repeat(12), role: 'admin' },
          clerk,
        )
      ).status,
    ).toBe(403);
    expect((await api.get('/v1/audit', officer)).status).toBe(403);
    const clerkWrite = await api.post(
      '/v1/owners',
      { kind: 'person', documentType: 'DNI', documentNumber: '45678912', name: 'Rosa Huamán' },
      clerk,
    );
    expect(clerkWrite.status).toBe(201);
  });

  it('requires an agency for officers and integrations', async () => {
    const response = await api.post('/v1/users', {
      username: 'officer2',
      displayName: 'Officer',
      password: 'a-long-enough-password',
      role: 'enforcement_officer',
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { field: 'agencyId', messages: [expect.stringContaining('agency')] },
    ]);
  });

  it('rejects a duplicate username with 409 and a short password with 400', async () => {
    await createUser('clerk2', 'registry_clerk');
    const duplicate = await api.post('/v1/users', {
      username: 'clerk2',
      displayName: 'x',
      password: 'a-long-enough-password',
      role: 'registry_clerk',
    });
    expect(duplicate.status).toBe(409);
    const short = await api.post('/v1/users', {
      username: 'clerk3',
      displayName: 'x',
      password: 'short',
      role: 'registry_clerk',
    });
    expect(short.status).toBe(400);
    expect(short.body.errors[0].field).toBe('password');
  });

  it('locks out a deactivated user at once, even with a valid token', async () => {
    const token = await createUser('clerk4', 'registry_clerk');
    const users = await api.get('/v1/users');
    const id = users.body.find((u: { username: string }) => u.username === 'clerk4').id as string;
    expect((await api.patch(`/v1/users/${id}`, { active: false })).status).toBe(200);
    expect((await api.get('/v1/machines', token)).status).toBe(401);
    expect(
      (
        await api
          .http()
          .post('/v1/auth/login')
          .send({ username: 'clerk4', password: 'a-long-enough-password' })
      ).status,
    ).toBe(401);
  });
});
