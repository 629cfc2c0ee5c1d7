import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { APP_CONFIG, AppConfig } from '@app/config';
import { failFastRedis, redisReady, tooManyRequests } from '@app/platform';

/** A count within a window that started at its first hit. */
export interface WindowCount {
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again from 0. */
  readonly resetInMs: number;
}

/** Counts per key within a fixed window from the first hit; atomic, so concurrent attempts cannot slip through. */
export interface AttemptCounter {
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Takes one hit back (an attempt that turned out to succeed). */
  forgive(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** One process's counts (the embedded mode, and the fallback while Redis cannot be reached). */
export class MemoryAttemptCounter implements AttemptCounter {
  private readonly counts = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    /** Most keys kept; the oldest windows go first beyond it, so a flood of usernames cannot exhaust memory. */
    private readonly maxKeys = 100_000,
  ) {}

  hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    let entry = this.counts.get(key);
    if (!entry || entry.endsAt <= now) {
      this.counts.delete(key);
      entry = { count: 0, endsAt: now + windowMs };
      this.counts.set(key, entry);
      this.prune(now);
    }
    entry.count++;
    return Promise.resolve({ count: entry.count, resetInMs: entry.endsAt - now });
  }

  forgive(key: string): Promise<void> {
    const entry = this.counts.get(key);
    if (entry && entry.count > 0) entry.count--;
    return Promise.resolve();
  }

  reset(key: string): Promise<void> {
    this.counts.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.counts.clear();
    return Promise.resolve();
  }

  private prune(now: number): void {
    if (this.counts.size <= this.maxKeys) return;
    for (const [key, entry] of this.counts) {
      if (this.counts.size <= this.maxKeys && entry.endsAt > now) break;
      this.counts.delete(key);
    }
  }
}

/** INCR with the window set on the first hit, and the time left; one round trip, atomic. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

/** Never below 0, and never leaving a key without its expiry. */
const FORGIVE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

/** Counts shared by every registry API instance through Redis. */
export class RedisAttemptCounter implements AttemptCounter {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = failFastRedis(url);
  }

  /** Resolves once connected. */
  connected(): Promise<void> {
    return redisReady(this.redis);
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, key, String(windowMs))) as [number, number];
    return { count, resetInMs: ttl };
  }

  async forgive(key: string): Promise<void> {
    await this.redis.eval(FORGIVE_SCRIPT, 1, key);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}

/** A counter that falls back to memory, per instance, while the shared one fails (limits keep holding). */
class FallbackAttemptCounter implements AttemptCounter {
  private readonly logger = new Logger('LoginThrottle');
  private warnedAt = 0;

  constructor(
    private readonly shared: AttemptCounter,
    private readonly local: AttemptCounter,
  ) {}

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.either((c) => c.hit(key, windowMs));
  }

  forgive(key: string): Promise<void> {
    return this.either((c) => c.forgive(key));
  }

  reset(key: string): Promise<void> {
    return this.either((c) => c.reset(key));
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private async either<T>(work: (counter: AttemptCounter) => Promise<T>): Promise<T> {
    try {
      return await work(this.shared);
    } catch (error) {
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        this.logger.warn(
          `sign-in failure counts fall back to this instance's memory: Redis failed (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      return work(this.local);
    }
  }
}

/** The address a limit applies to: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressKeyOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Opaque, bounded key for a username as typed (case kept: usernames are compared exactly). */
function accountKeyOf(username: string): string {
  return createHash('sha256').update(username, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * Sign-in limits per account and per address. Every attempt counts before the password is checked (so concurrent
 * guesses cannot pass together); a successful one is taken back from its address and clears its account. Beyond
 * a limit, attempts get 429 without their password being checked, until the window ends.
 */
@Injectable()
export class LoginThrottle implements OnModuleInit, OnModuleDestroy {
  private readonly counter: AttemptCounter;
  private readonly shared: RedisAttemptCounter | undefined;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const local = new MemoryAttemptCounter();
    this.shared = config.redisUrl ? new RedisAttemptCounter(config.redisUrl) : undefined;
    this.counter = this.shared ? new FallbackAttemptCounter(this.shared, local) : local;
    this.prefix = `${config.redisKeyPrefix}login:`;
  }

  /** Gives Redis a few seconds to connect before the first sign-in (without it, the counts start in memory). */
  async onModuleInit(): Promise<void> {
    if (!this.shared) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.shared.connected(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000))),
    ]);
    clearTimeout(timer);
  }

  /** Counts an attempt; throws a 429 when the account or the address is over its limit. */
  async attempt(username: string, ip: string | undefined): Promise<LoginAttempt> {
    const windowMs = this.config.loginFailureWindowSeconds * 1000;
    const accountKey = `${this.prefix}account:${accountKeyOf(username)}`;
    const addressKey = `${this.prefix}address:${addressKeyOf(ip)}`;
    const [account, address] = await Promise.all([
      this.counter.hit(accountKey, windowMs),
      this.counter.hit(addressKey, windowMs),
    ]);
    const over: Array<[WindowCount, 'account' | 'address']> = [];
    if (account.count > this.config.loginMaxFailuresPerAccount) over.push([account, 'account']);
    if (address.count > this.config.loginMaxFailuresPerAddress) over.push([address, 'address']);
    if (over.length > 0) {
      const [longest, what] = over.reduce((a, b) => (b[0].resetInMs > a[0].resetInMs ? b : a));
      const seconds = Math.max(1, Math.ceil(longest.resetInMs / 1000));
      throw tooManyRequests(
        `too many failed sign-ins ${what === 'account' ? 'for this username' : 'from this address'}; try again in ${seconds} s`,
        seconds,
      );
    }
    return {
      succeeded: async () => {
        await Promise.all([this.counter.reset(accountKey), this.counter.forgive(addressKey)]);
      },
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.counter.close();
  }
}

export interface LoginAttempt {
  /** The password was right: the account's count is cleared, the address's count takes the attempt back. */
  succeeded(): Promise<void>;
}
