import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { initialIntegrityState } from '@app/integrity';
import { initialState } from '@app/rules';
import { LiveState, RedisLiveStateStore, parseLiveState, serializeLiveState } from './live-state';

const IMEI = '350000000000001';

function liveState(imei = IMEI): LiveState {
  const integrity = initialIntegrityState(imei);
  integrity.seq = 42;
  return {
    imei,
    machineId: 'm-1',
    lastFix: { time: 1, receivedAt: 2, lat: -12.6, lon: -69.2 },
    rules: initialState(imei),
    integrity,
    cursor: 2,
  };
}

describe('live state snapshot', () => {
  it('keeps the rule and integrity states across a snapshot, in one JSON document', () => {
    const state = liveState();
    const json = serializeLiveState(state);
    expect(JSON.parse(json)).toMatchObject({ v: 2, rules: { deviceId: IMEI }, integrity: { seq: 42 } });
    const parsed = parseLiveState(json);
    expect(parsed).toEqual(state);
  });

  it('reads a version 1 snapshot, whose nested states are JSON strings', () => {
    const state = liveState();
    const v1 = JSON.stringify({
      v: 1,
      imei: IMEI,
      machineId: 'm-1',
      lastFix: state.lastFix,
      rules: JSON.stringify(state.rules),
      integrity: JSON.stringify(state.integrity),
      cursor: 2,
    });
    expect(parseLiveState(v1)).toEqual(state);
  });

  it('reads a snapshot written before the integrity state existed as a fresh one', () => {
    const old = JSON.stringify({ v: 1, imei: '350000000000002', machineId: 'm-2', cursor: 5 });
    const parsed = parseLiveState(old);
    expect(parsed).toMatchObject({ imei: '350000000000002', machineId: 'm-2', cursor: 5 });
    expect(parsed.integrity).toBeUndefined();
  });

  it('refuses a snapshot of an unknown version', () => {
    expect(() => parseLiveState(JSON.stringify({ v: 3, imei: IMEI }))).toThrow(/version 3/);
  });
});

const redisUrl = process.env['REDIS_URL'];
if (redisUrl)
  describe(RedisLiveStateStore.name, () => {
    const prefix = `centinela-test-${randomBytes(4).toString('hex')}:live:`;
    const redis = new Redis(redisUrl);
    const store = new RedisLiveStateStore({
      url: redisUrl,
      prefix,
      instanceId: 'spec',
      maxStates: 100,
      flushEveryMs: 600_000,
    });
    beforeAll(() => store.connected());
    afterAll(async () => {
      await store.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it("offers for taking over the trackers this instance or nobody served last, not another instance's", async () => {
      await redis.set(`${prefix}writer:350000000000010`, 'spec:0a1b2c3d:7');
      await redis.set(`${prefix}writer:350000000000011`, 'other-instance:0a1b2c3d:9');
      const held = liveState('350000000000013');
      await store.load([held.imei]);
      await store.committed([held]);
      store.settled([held.imei]);
      expect(
        await store.adoptable(['350000000000010', '350000000000011', '350000000000012', held.imei]),
      ).toEqual(['350000000000010', '350000000000012']);
    });

    it('snapshots a state only once the batch holding it has settled', async () => {
      const state = liveState('350000000000003');
      await store.load([state.imei]);
      await store.committed([state]);
      store.settled([state.imei]);
      // A second batch takes the state and changes it in memory; it has not committed when the flush runs.
      await store.load([state.imei]);
      state.cursor = 99;
      await store.flush();
      expect(await redis.get(`${prefix}state:${state.imei}`)).toBeNull();
      store.settled([state.imei]);
      await store.flush();
      expect(parseLiveState((await redis.get(`${prefix}state:${state.imei}`)) as string).cursor).toBe(99);
    });
  });
