import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ADMIN_PASSWORD, TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';

const PASSWORD = 'a-long-enough-password';

/** Limits small enough to reach in a test; X-Forwarded-For trusted so that each test signs in from addresses of its own. */
const LIMITS = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
  LOGIN_MAX_FAILURES_PER_ADDRESS: '8',
  LOGIN_FAILURE_WINDOW_SECONDS: '600',
  HTTP_TRUST_PROXY_HOPS: '1',
};

let addresses = 0;
/** A client address of its own (documentation range 198.51.100.0/24, then 203.0.113.0/24). */
function anAddress(): string {
  addresses++;
  return addresses < 250 ? `198.51.100.${addresses}` : `203.0.113.${addresses - 249}`;
}

describe.each(storageModes())('sign-in limits and timing (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode, LIMITS);
  });
  afterAll(() => api.close());

  const login = (username: string, password: string, address: string, on: TestApi = api) =>
    on.http().post('/v1/auth/login').set('x-forwarded-for', address).send({ username, password });

  async function createUser(username: string): Promise<void> {
    const response = await api.post('/v1/users', {
      username,
      displayName: username,
      password: PASSWORD,
      role: 'registry_clerk',
    });
    expect(response.status).toBe(201);
  }

  it('answers 429 with Retry-After after 5 failures for one username, the right password included, from any address', async () => {
    await createUser('clerk-locked');
    for (let i = 0; i < 5; i++)
      expect((await login('clerk-locked', `wrong-${i}`, anAddress())).status).toBe(401);
    const blocked = await login('clerk-locked', PASSWORD, anAddress());
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/^too many failed sign-ins for this username; try again in \d+ s$/),
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Other accounts are not affected.
    await createUser('clerk-free');
    expect((await login('clerk-free', PASSWORD, anAddress())).status).toBe(200);
  });

  it('counts unknown usernames like known ones, so that the 429 tells nothing of which exist', async () => {
    const address = anAddress();
    for (let i = 0; i < 5; i++)
      expect((await login('nobody-here', 'wrong-password', anAddress())).status).toBe(401);
    const blocked = await login('nobody-here', 'wrong-password', address);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  it('clears an account’s failures when it signs in', async () => {
    await createUser('clerk-reset');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++)
        expect((await login('clerk-reset', 'wrong-password', anAddress())).status).toBe(401);
      expect((await login('clerk-reset', PASSWORD, anAddress())).status).toBe(200);
    }
    // 12 failures in all, never 5 in a row: never blocked.
    expect((await login('clerk-reset', 'wrong-password', anAddress())).status).toBe(401);
  });

  it('answers 429 after 8 failures from one address, whatever the usernames; other addresses still sign in', async () => {
    const address = anAddress();
    for (let i = 0; i < 8; i++)
      expect((await login(`guess-${i}`, 'wrong-password', address)).status).toBe(401);
    const blocked = await login('admin', ADMIN_PASSWORD, address);
    expect(blocked.status).toBe(429);
    expect(blocked.body.message).toMatch(/from this address/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('admin', ADMIN_PASSWORD, anAddress())).status).toBe(200);
  });

  it('does not count successful sign-ins against their address', async () => {
    const address = anAddress();
    for (let i = 0; i < 20; i++) expect((await login('admin', ADMIN_PASSWORD, address)).status).toBe(200);
    for (let i = 0; i < 8; i++)
      expect((await login(`other-${i}`, 'wrong-password', address)).status).toBe(401);
    expect((await login('other-9', 'wrong-password', address)).status).toBe(429);
  });

  it('lets no burst of concurrent guesses past the limit', async () => {
    await createUser('clerk-burst');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login('clerk-burst', `wrong-${i}`, anAddress())),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('takes as long for an unknown username as for a known one with a wrong password', async () => {
    await createUser('clerk-timing');
    const timed = async (username: string): Promise<number> => {
      const started = performance.now();
      const response = await login(username, 'wrong-password', anAddress());
      const elapsed = performance.now() - started;
      expect(response.status).toBe(401);
      return elapsed;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that the machine's load weighs on both alike; the known account signs in every 4 failures.
    for (let i = 0; i < 16; i++) {
      known.push(await timed('clerk-timing'));
      unknown.push(await timed(`ghost-${randomBytes(4).toString('hex')}`));
      if (i % 4 === 3) expect((await login('clerk-timing', PASSWORD, anAddress())).status).toBe(200);
    }
    const ratio = median(unknown) / median(known);
    console.log(
      `sign-in timing: median known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`,
    );
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('refuses a NUL byte or a control character in the username with 400 on the field', async () => {
    const response = await login('ad\u0000min', ADMIN_PASSWORD, anAddress());
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'username', messages: [expect.stringContaining('control characters')] },
    ]);
    const escape = await login('admin', '\u001b[2Jpassword', anAddress());
    expect(escape.status).toBe(400);
    expect(escape.body.errors[0].field).toBe('password');
  });
});

const redisUrl = process.env['REDIS_URL'];
if (redisUrl)
  describe('sign-in limits shared through Redis by two registry API instances', () => {
    let first: TestApi;
    let second: TestApi;

    beforeAll(async () => {
      const shared = {
        ...LIMITS,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: `test-login-${randomBytes(4).toString('hex')}:`,
      };
      first = await startTestApi('embedded', shared);
      // The second instance over the same database, as two instances behind a load balancer.
      second = await startTestApi('embedded', shared, [], first.database);
    });
    afterAll(async () => {
      await second.app.close();
      fs.rmSync(second.config.dataDir, { recursive: true, force: true });
      await first.close();
    });

    it('blocks on one instance the failures counted on the other, and clears them on either', async () => {
      const created = await first.post('/v1/users', {
        username: 'clerk-shared',
        displayName: 'clerk',
        password: PASSWORD,
        role: 'registry_clerk',
      });
      expect(created.status).toBe(201);
      const login = (on: TestApi, password: string) =>
        on
          .http()
          .post('/v1/auth/login')
          .set('x-forwarded-for', anAddress())
          .send({ username: 'clerk-shared', password });
      for (let i = 0; i < 4; i++)
        expect((await login(i % 2 ? first : second, 'wrong-password')).status).toBe(401);
      expect((await login(second, PASSWORD)).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await login(first, 'wrong-password')).status).toBe(401);
      const blocked = await login(second, PASSWORD);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
