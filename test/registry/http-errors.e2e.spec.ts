import { gzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestApi, startTestApi } from '../support/api';
import { aRuc, createMachine, createOwner, createTracker } from '../support/factories';
import { rawRequest } from '../support/raw-http';
import { storageModes } from '../support/storage';

const HOOK_SECRET = 'broker-hook-secret-0123456789-abcdefghij';

/** Every kind of unreadable or hostile request gets its precise 4xx, in the API's error shape. */
describe.each(storageModes())('HTTP errors: every error a precise 4xx (%s storage)', (mode) => {
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    api = await startTestApi(mode, { BROKER_HOOK_SECRET: HOOK_SECRET });
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => api.close());

  const postRaw = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    api
      .http()
      .post(path)
      .set({ authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json', ...headers })
      .send(typeof body === 'string' ? body : body.toString('latin1'));

  it('413 for a JSON body over 1 MB, naming the limit', async () => {
    const response = await postRaw('/v1/owners', `{"name":"${'x'.repeat(1_100_000)}"}`);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'the request body is larger than the 1048576 bytes this route accepts',
    });
  });

  it('413 for a gzip body that inflates past the limit', async () => {
    const body = gzipSync(Buffer.from(`{"name":"${' '.repeat(5_000_000)}"}`));
    const response = await rawRequest(port, {
      method: 'POST',
      target: '/v1/owners',
      headers: [
        ['Authorization', `Bearer ${api.adminToken}`],
        ['Content-Type', 'application/json'],
        ['Content-Encoding', 'gzip'],
      ],
      body,
    });
    expect(response.status).toBe(413);
  });

  it('415 for an unknown charset or content encoding', async () => {
    const charset = await postRaw('/v1/owners', '{}', {
      'content-type': 'application/json; charset=klingon',
    });
    expect(charset.status).toBe(415);
    expect(charset.body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'charset "klingon" is not supported; send UTF-8',
    });
    const encoding = await postRaw('/v1/owners', '{}', { 'content-encoding': 'compress' });
    expect(encoding.status).toBe(415);
    expect(encoding.body.message).toBe(
      'content encoding "compress" is not supported (identity, gzip, deflate, br)',
    );
  });

  it('400 for JSON that does not parse, without echoing it', async () => {
    const response = await postRaw('/v1/owners', '{"name": "secret-value", ');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'the request body is not valid JSON',
    });
  });

  it('400 for a gzip body that is not gzip', async () => {
    const response = await postRaw('/v1/owners', 'not gzip at all', { 'content-encoding': 'gzip' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('400 for JSON nested deeper than 32 levels, naming where', async () => {
    const response = await postRaw('/v1/owners', `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'the body nests arrays and objects deeper than 32 levels',
      errors: [
        {
          field: ['name', ...Array(31).fill('0')].join('.'),
          messages: ['the body nests arrays and objects deeper than 32 levels'],
        },
      ],
    });
  });

  it('400 on the field for a NUL byte, a control character or an unpaired surrogate, with every other invalid field', async () => {
    const response = await api.post('/v1/owners', {
      kind: 'company',
      documentType: 'RUC',
      documentNumber: aRuc(),
      name: 'Minera\u0000 Inambari',
      address: 'Av. \u001b[31mLeón',
      email: 'x\ud800@example.pe',
      phone: 'not a phone',
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('Validation failed');
    const fields = (response.body.errors as Array<{ field: string; messages: string[] }>).map((e) => e.field);
    expect(fields.sort()).toEqual(['address', 'email', 'name', 'phone']);
    const byField = Object.fromEntries(
      (response.body.errors as Array<{ field: string; messages: string[] }>).map((e) => [
        e.field,
        e.messages,
      ]),
    );
    expect(byField['name']![0]).toMatch(/name must not contain control characters/);
    expect(byField['email']![0]).toMatch(/valid Unicode/);
    // Tabs and line breaks stay allowed in free text.
    const fine = await api.post('/v1/owners', {
      kind: 'company',
      documentType: 'RUC',
      documentNumber: aRuc(),
      name: 'Minera Inambari',
      address: 'Av. León Velarde 123\nPuerto Maldonado',
    });
    expect(fine.status).toBe(201);
  });

  it('400 on the field for a NUL in a query parameter and in a path parameter', async () => {
    const query = await api.get('/v1/owners?q=a%00b');
    expect(query.status).toBe(400);
    expect(query.body.errors[0].field).toBe('q');
    const path = await api.get('/v1/owners/a%00b');
    expect(path.status).toBe(400);
    expect(path.body.errors[0].field).toBe('id');
  });

  it('400 on the field for null in a required field of an update; null still clears an optional one', async () => {
    const owner = await createOwner(api, { email: 'contacto@example.pe' });
    const machine = await createMachine(api, owner.id);
    const tracker = await createTracker(api);
    for (const [path, field] of [
      [`/v1/owners/${owner.id}`, 'name'],
      [`/v1/machines/${machine.id}`, 'make'],
      [`/v1/trackers/${tracker.id}`, 'model'],
    ] as const) {
      const response = await api.patch(path, { [field]: null });
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const cleared = await api.patch(`/v1/owners/${owner.id}`, { email: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.email).toBeNull();
  });

  it('400 for bad percent-encoding in the path', async () => {
    const response = await api.get('/v1/owners/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('401 on the EMQX hooks for a non-ASCII bearer as long as the secret, and for a wrong one', async () => {
    const body = Buffer.from(JSON.stringify({ clientid: 'c', username: 'u', password: 'p' }));
    for (const authorization of [
      Buffer.from(`Bearer ${'é'.repeat(HOOK_SECRET.length)}`, 'latin1'),
      Buffer.from(`Bearer ${'ñ'.repeat(HOOK_SECRET.length / 2)}`, 'utf8'),
      Buffer.from(`Bearer ${'x'.repeat(HOOK_SECRET.length)}`),
    ]) {
      const response = await rawRequest(port, {
        method: 'POST',
        target: '/v1/broker/emqx/authenticate',
        headers: [
          ['Content-Type', 'application/json'],
          ['Authorization', authorization],
        ],
        body,
      });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body.toString())).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'broker hook secret missing or wrong',
      });
    }
    const right = await api
      .http()
      .post('/v1/broker/emqx/authenticate')
      .set('authorization', `Bearer ${HOOK_SECRET}`)
      .send({ clientid: 'c', username: 'u', password: 'p' });
    expect(right.status).toBe(200);
  });

  it('401 for a non-ASCII bearer on the API', async () => {
    const response = await rawRequest(port, {
      method: 'GET',
      target: '/v1/machines',
      headers: [['Authorization', Buffer.from('Bearer ñandú', 'utf8')]],
    });
    expect(response.status).toBe(401);
  });

  it('answers requests Node itself refuses in the error shape: 400 for a control byte in a header, 431 for headers too large', async () => {
    const control = await rawRequest(port, {
      method: 'GET',
      target: '/v1/machines',
      headers: [['Authorization', Buffer.from([0x42, 0x01, 0x00, 0x43])]],
    });
    expect(control.status).toBe(400);
    expect(JSON.parse(control.body.toString())).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'malformed HTTP request (request line or headers)',
    });
    const large = await rawRequest(port, {
      method: 'GET',
      target: '/v1/machines',
      headers: [['X-Padding', 'p'.repeat(20_000)]],
    });
    expect(large.status).toBe(431);
    expect(JSON.parse(large.body.toString())).toMatchObject({ statusCode: 431 });
  });
});
