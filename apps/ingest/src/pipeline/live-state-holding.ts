import type { AppConfig } from '@app/config';
import { LiveState, LiveStateStore, MemoryLiveStateStore, RedisLiveStateStore } from '../live-state';

/**
 * The live state store of a pipeline: shared through Redis when configured (and the pipeline runs in this
 * thread), else in memory.
 */
export function liveStateStoreFor(config: AppConfig, runsHere: boolean): LiveStateStore {
  return config.redisUrl && runsHere
    ? new RedisLiveStateStore({
        url: config.redisUrl,
        prefix: `${config.redisKeyPrefix}live:`,
        instanceId: config.ingestInstanceId,
        maxStates: config.liveStateMax,
        flushEveryMs: config.liveStateFlushMs,
      })
    : new MemoryLiveStateStore(config.liveStateMax);
}

/**
 * Runs `work` on the live states of `imeis`: held from the snapshots until it ends (settled), and forgotten if
 * it fails (the copies in memory may then hold what was never committed).
 */
export async function holdingStates(
  liveStates: LiveStateStore,
  imeis: readonly string[],
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    liveStates.forget(imeis);
    throw error;
  } finally {
    liveStates.settled(imeis);
  }
}

/**
 * Keeps the states a write changed once `write` has committed; forgets them if it failed (their copies in memory
 * may hold what was never committed).
 */
export async function committing(
  liveStates: LiveStateStore,
  changed: readonly LiveState[],
  write: () => Promise<void>,
): Promise<void> {
  try {
    await write();
    await liveStates.committed(changed);
  } catch (error) {
    liveStates.forget(changed.map((state) => state.imei));
    throw error;
  }
}
