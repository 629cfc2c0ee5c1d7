import type { RefusedDeviceMessage, Store } from '@app/db';
import { IngestCounters } from '../ingest-counters';
import { IMEI, incoming, jsonFix } from '../stages/testing';
import { RefusedMessages } from './refused-messages';

/** An error as the database reports it, with its SQLSTATE. */
const databaseError = (code: string) =>
  Object.assign(new Error(`sqlstate ${code}`), { code, severity: 'ERROR' });

function refusedMessages(keep: (m: RefusedDeviceMessage) => Promise<void>) {
  const counters = new IngestCounters();
  const store = { repos: { positions: { keepRefused: keep } } } as unknown as Store;
  return { counters, refused: new RefusedMessages(store, counters) };
}

describe(RefusedMessages.name, () => {
  const message = incoming(`devices/${IMEI}/fixes`, jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2));

  it('keeps a message whose data the database refused, counts it, and lets it be acknowledged', async () => {
    const kept: RefusedDeviceMessage[] = [];
    const { counters, refused } = refusedMessages(async (m) => void kept.push(m));

    await refused.settle(message, databaseError('23514'));

    expect(kept).toEqual([
      expect.objectContaining({
        imei: IMEI,
        topic: message.message.topic,
        sqlstate: '23514',
        error: 'sqlstate 23514',
      }),
    ]);
    expect(counters.snapshot()).toMatchObject({ rejections: { storage_refused: 1 }, storageFailures: 0 });
  });

  it('leaves a message unacknowledged when the database could not be reached, or could not keep it', async () => {
    const { counters, refused } = refusedMessages(async () => {
      throw databaseError('08006');
    });

    await expect(refused.settle(message, databaseError('08006'))).rejects.toThrow('sqlstate 08006');
    await expect(refused.settle(message, databaseError('22003'))).rejects.toThrow('sqlstate 08006');

    expect(counters.snapshot()).toMatchObject({ rejections: {}, storageFailures: 2 });
  });
});
