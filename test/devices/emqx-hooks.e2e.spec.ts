import { TestApi, startTestApi } from '../support/api';
import { enrolDevice } from '../support/devices';
import { storageModes } from '../support/storage';

const HOOK_SECRET = 'emqx-hook-secret-for-tests-0123456789';

/**
 * Contract of EMQX 5's HTTP authentication and authorization: EMQX POSTs the configured JSON body and reads
 * `result` ("allow" | "deny" | "ignore") from a 200 JSON answer; any 4xx/5xx counts as "ignore".
 */
describe.each(storageModes())('EMQX authentication and authorization hooks (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode, { BROKER_HOOK_SECRET: HOOK_SECRET });
  });
  afterAll(() => api.close());

  const hook = (path: string, body: object, secret = HOOK_SECRET) =>
    api.http().post(`/v1/broker/emqx/${path}`).set('authorization', `Bearer ${secret}`).send(body);

  it('allows a tracker with its issued secret, never as superuser', async () => {
    const tracker = await enrolDevice(api);
    const response = await hook('authenticate', {
      clientid: tracker.imei,
      username: tracker.imei,
      password: tracker.password,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({ result: 'allow', is_superuser: false });
  });

  it('denies a wrong secret, an unknown IMEI, a foreign client id and revoked credentials', async () => {
    const tracker = await enrolDevice(api);
    const deny = { result: 'deny', is_superuser: false };
    expect(
      (await hook('authenticate', { clientid: tracker.imei, username: tracker.imei, password: 'nope' })).body,
    ).toEqual(deny);
    expect(
      (
        await hook('authenticate', {
          clientid: '490154203237518',
          username: '490154203237518',
          password: tracker.password,
        })
      ).body,
    ).toEqual(deny);
    expect(
      (await hook('authenticate', { clientid: 'x', username: tracker.imei, password: tracker.password }))
        .body,
    ).toEqual(deny);
    await api.delete(`/v1/trackers/${tracker.trackerId}/credentials`);
    expect(
      (
        await hook('authenticate', {
          clientid: tracker.imei,
          username: tracker.imei,
          password: tracker.password,
        })
      ).body,
    ).toEqual(deny);
  });

  it('authorizes publishing under the own IMEI and subscribing to the own errors and receipts topics only', async () => {
    const tracker = await enrolDevice(api);
    const other = await enrolDevice(api);
    const ask = async (topic: string, action: string) =>
      (await hook('authorize', { clientid: tracker.imei, username: tracker.imei, topic, action })).body
        .result as string;
    expect(await ask(`devices/${tracker.imei}/fixes`, 'publish')).toBe('allow');
    expect(await ask(`devices/${tracker.imei}/teltonika`, 'publish')).toBe('allow');
    expect(await ask(`devices/${tracker.imei}/errors`, 'subscribe')).toBe('allow');
    expect(await ask(`devices/${tracker.imei}/errors`, 'publish')).toBe('deny');
    expect(await ask('devices/490154203237518/fixes', 'publish')).toBe('deny');
    expect(await ask('devices/+/errors', 'subscribe')).toBe('deny');
    expect(await ask(`devices/${tracker.imei}/receipts`, 'subscribe')).toBe('allow');
    expect(await ask(`devices/${tracker.imei}/receipts`, 'publish')).toBe('deny');
    expect(await ask(`devices/${other.imei}/receipts`, 'subscribe')).toBe('deny');
    expect(await ask(`devices/${other.imei}/errors`, 'subscribe')).toBe('deny');
    expect(await ask('devices/+/receipts', 'subscribe')).toBe('deny');
    expect(await ask(`devices/${tracker.imei}/#`, 'subscribe')).toBe('deny');
  });

  it('refuses callers without the hook secret, and malformed requests, so EMQX ignores them', async () => {
    const tracker = await enrolDevice(api);
    const body = { clientid: tracker.imei, username: tracker.imei, password: tracker.password };
    expect((await hook('authenticate', body, 'wrong-secret')).status).toBe(401);
    expect((await api.http().post('/v1/broker/emqx/authenticate').send(body)).status).toBe(401);
    const malformed = await hook('authorize', { clientid: tracker.imei, topic: 'x', action: 'delete' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('action');
  });
});
