import Redis from 'ioredis';

/**
 * Where each device's streaming rule state lives between messages: in memory in the embedded mode, in Redis
 * (shared by every ingest instance) when REDIS_URL is set.
 */
export interface DeviceStateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, state: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryDeviceStateStore implements DeviceStateStore {
  private readonly states = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.states.get(key);
  }

  async set(key: string, state: string): Promise<void> {
    this.states.set(key, state);
  }

  async close(): Promise<void> {}
}

export class RedisDeviceStateStore implements DeviceStateStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'centinela:device-state:',
  ) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, state: string): Promise<void> {
    await this.redis.set(this.prefix + key, state);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
