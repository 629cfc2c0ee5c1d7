import { IngestCounters } from '../ingest-counters';
import { decode } from '../stages/decode.stage';
import { checkPlausibility } from '../stages/plausibility.stage';
import { IMEI, OTHER_IMEI, incoming, jsonFix } from '../stages/testing';
import { RejectionReports } from './rejection-reports';

function checked(topic: string, body: unknown, registered: boolean) {
  const item = decode(incoming(topic, body));
  if (registered) item.machine = { id: 'm-1', category: 'excavator', declaredUse: null };
  checkPlausibility(item, undefined);
  return item;
}

describe(RejectionReports.name, () => {
  const partlyRefused = () =>
    checked(
      `devices/${IMEI}/fixes`,
      { fixes: [jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2), { lat: 1 }] },
      true,
    );

  it('counts a batch: messages, fixes stored and duplicate, status messages and rejections by reason', () => {
    const counters = new IngestCounters();
    const reports = new RejectionReports(counters);
    const status = checked(`devices/${IMEI}/status`, { state: 'online' }, true);
    const unknown = checked(
      `devices/${OTHER_IMEI}/fixes`,
      jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2),
      false,
    );

    reports.count([partlyRefused(), status, unknown], 1, 0);

    expect(counters.snapshot()).toMatchObject({
      messages: 3,
      batches: 1,
      batchedMessages: 3,
      fixesStored: 1,
      fixesDuplicate: 0,
      statusMessages: 1,
      rejections: { missing_field: 1, unknown_tracker: 1 },
    });
  });

  it('sends a device the rejections of its message on its errors topic, and nothing to an unknown tracker', async () => {
    const reports = new RejectionReports(new IngestCounters());
    const published: { topic: string; payload: unknown }[] = [];
    reports.usePublisher({
      publishToDevice: async (topic, payload) =>
        void published.push({ topic, payload: JSON.parse(payload.toString()) }),
    });

    await reports.report(partlyRefused());
    await reports.report(
      checked(`devices/${OTHER_IMEI}/fixes`, { fixes: [jsonFix('2026-11-22T04:59:00Z', 1, 1), {}] }, false),
    );

    expect(published).toEqual([
      {
        topic: `devices/${IMEI}/errors`,
        payload: expect.objectContaining({
          acceptedFixes: 1,
          rejections: [expect.objectContaining({ reason: 'missing_field', index: 1 })],
        }),
      },
    ]);
  });

  it('tells a device of the fixes stored with an untrusted clock, and says nothing of a clean message', async () => {
    const reports = new RejectionReports(new IngestCounters());
    const published: { topic: string; payload: unknown }[] = [];
    reports.usePublisher({
      publishToDevice: async (topic, payload) =>
        void published.push({ topic, payload: JSON.parse(payload.toString()) }),
    });

    await reports.report(
      checked(`devices/${IMEI}/fixes`, jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2), true),
    );
    await reports.report(
      checked(`devices/${IMEI}/fixes`, jsonFix('1999-08-22T00:00:00Z', -12.6, -69.2), true),
    );

    expect(published).toEqual([
      {
        topic: `devices/${IMEI}/errors`,
        payload: expect.objectContaining({
          acceptedFixes: 1,
          rejections: [],
          untrustedClock: [expect.objectContaining({ index: 0, doubt: 'behind_receipt' })],
        }),
      },
    ]);
  });
});
