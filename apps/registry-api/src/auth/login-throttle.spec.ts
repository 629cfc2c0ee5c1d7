import { HttpException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { addressKeyOf, LoginThrottle, MemoryAttemptCounter, RedisAttemptCounter } from './login-throttle';

describe(MemoryAttemptCounter.name, () => {
  it('counts within a window from the first hit, then starts again', async () => {
    let now = 1_000;
    const counter = new MemoryAttemptCounter(() => now);
    expect(await counter.hit('k', 10_000)).toEqual({ count: 1, resetInMs: 10_000 });
    now += 4_000;
    expect(await counter.hit('k', 10_000)).toEqual({ count: 2, resetInMs: 6_000 });
    now += 6_000;
    expect(await counter.hit('k', 10_000)).toEqual({ count: 1, resetInMs: 10_000 });
  });

  it('takes a hit back and resets, never below zero', async () => {
    const counter = new MemoryAttemptCounter(() => 0);
    await counter.hit('k', 1000);
    await counter.forgive('k');
    await counter.forgive('k');
    expect((await counter.hit('k', 1000)).count).toBe(1);
    await counter.reset('k');
    expect((await counter.hit('k', 1000)).count).toBe(1);
  });

  it('keeps a bounded number of keys, however many usernames are tried', async () => {
    const counter = new MemoryAttemptCounter(() => 0, 100);
    for (let i = 0; i < 1_000; i++) await counter.hit(`k${i}`, 1000);
    expect((counter as unknown as { counts: Map<string, unknown> }).counts.size).toBeLessThanOrEqual(101);
  });
});

describe(addressKeyOf.name, () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('keys %s as %s', (ip, key) => expect(addressKeyOf(ip)).toBe(key));
});

function config(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    redisKeyPrefix: 'test:',
    loginMaxFailuresPerAccount: 3,
    loginMaxFailuresPerAddress: 5,
    loginFailureWindowSeconds: 60,
    ...overrides,
  } as AppConfig;
}

async function statusOf(work: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    if (error instanceof HttpException) return error.getStatus();
    throw error;
  }
}

describe(LoginThrottle.name, () => {
  it('refuses the attempt after the limit with 429 and the time left; a success clears the account', async () => {
    const throttle = new LoginThrottle(config());
    for (let i = 0; i < 3; i++) await throttle.attempt('ana', `10.0.0.${i}`);
    const refused = await throttle.attempt('ana', '10.0.0.9').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(429);
    expect((refused as HttpException).getResponse()).toMatchObject({ retryAfterSeconds: 60 });
    // Another account from the same addresses is not affected.
    const other = await throttle.attempt('beto', '10.0.0.1');
    await other.succeeded();
    await throttle.onModuleDestroy();
  });

  it('clears the account when a sign-in succeeds', async () => {
    const throttle = new LoginThrottle(config());
    for (let round = 0; round < 4; round++) {
      await throttle.attempt('carla', '10.0.1.1');
      await throttle.attempt('carla', '10.0.1.2');
      const right = await throttle.attempt('carla', '10.0.1.3');
      await right.succeeded();
    }
    expect(await statusOf(throttle.attempt('carla', '10.0.1.4'))).toBe('ok');
    await throttle.onModuleDestroy();
  });

  it('limits an address whatever the usernames', async () => {
    const throttle = new LoginThrottle(config());
    for (let i = 0; i < 5; i++) await throttle.attempt(`user${i}`, '2001:db8:5::1');
    // Another address in the same /64 is the same client.
    expect(await statusOf(throttle.attempt('user9', '2001:db8:5::2'))).toBe(429);
    expect(await statusOf(throttle.attempt('user9', '2001:db8:6::1'))).toBe('ok');
    await throttle.onModuleDestroy();
  });

  it('keeps limiting in memory while Redis cannot be reached', async () => {
    const throttle = new LoginThrottle(config({ redisUrl: 'redis://127.0.0.1:1' }));
    for (let i = 0; i < 3; i++) await throttle.attempt('dora', '10.0.2.1');
    expect(await statusOf(throttle.attempt('dora', '10.0.2.1'))).toBe(429);
    await throttle.onModuleDestroy();
  });
});

const redisUrl = process.env['REDIS_URL'];
if (redisUrl)
  describe(RedisAttemptCounter.name, () => {
    let counter: RedisAttemptCounter;
    const key = () => `test-login-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      counter = new RedisAttemptCounter(redisUrl);
      await counter.connected();
    });
    afterAll(() => counter.close());

    it('counts within a window set at the first hit, atomically under concurrency', async () => {
      const k = key();
      const counts = await Promise.all(Array.from({ length: 50 }, () => counter.hit(k, 60_000)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      for (const c of counts) {
        expect(c.resetInMs).toBeGreaterThan(50_000);
        expect(c.resetInMs).toBeLessThanOrEqual(60_000);
      }
    });

    it('takes a hit back without going below zero, and resets', async () => {
      const k = key();
      await counter.hit(k, 60_000);
      await counter.forgive(k);
      await counter.forgive(k);
      expect((await counter.hit(k, 60_000)).count).toBe(1);
      await counter.reset(k);
      expect((await counter.hit(k, 60_000)).count).toBe(1);
    });

    it('shares the counts between two instances', async () => {
      const k = key();
      const other = new RedisAttemptCounter(redisUrl);
      try {
        await other.connected();
        await counter.hit(k, 60_000);
        expect((await other.hit(k, 60_000)).count).toBe(2);
      } finally {
        await other.close();
      }
    });
  });
