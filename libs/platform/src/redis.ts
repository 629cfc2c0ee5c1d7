import Redis from 'ioredis';

/**
 * A Redis client that fails fast instead of queueing: commands fail while Redis is unreachable (no offline queue,
 * one retry, 2 s per command), so a caller falls back at once rather than waiting; errors are left to the commands.
 */
export function failFastRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000 });
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the client is connected. */
export async function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
}
