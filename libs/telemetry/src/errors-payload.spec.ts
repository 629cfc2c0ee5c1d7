import { errorsPayload } from './errors-payload';
import { decodeDeviceMessage } from './device-message';
import { IMEI, jsonPayload } from './testing/fixtures';

describe(errorsPayload.name, () => {
  it('serialises a partly refused batch as JSON firmware can read back', () => {
    const topic = `devices/${IMEI}/fixes`;
    const receivedAt = new Date('2026-11-22T05:00:00Z');
    const result = decodeDeviceMessage(
      topic,
      jsonPayload({ fixes: [{ time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 }, 'junk'] }),
      receivedAt,
    );

    const body = JSON.parse(
      JSON.stringify(errorsPayload(topic, receivedAt, result.fixes.length, result.rejections)),
    ) as unknown;

    expect(body).toEqual({
      topic,
      receivedAt: '2026-11-22T05:00:00.000Z',
      acceptedFixes: 1,
      rejections: [
        { reason: 'not_an_object', scope: 'fix', index: 1, message: 'a fix must be an object, got a string' },
      ],
    });
  });
});

describe('errors payload size', () => {
  it('lists the first 100 rejections and counts the rest', () => {
    const junk = jsonPayload({ fixes: Array.from({ length: 130 }, (_, i) => i) });
    const result = decodeDeviceMessage(`devices/${IMEI}/fixes`, junk, new Date('2026-11-22T05:00:00Z'));

    const body = errorsPayload(
      `devices/${IMEI}/fixes`,
      new Date('2026-11-22T05:00:00Z'),
      0,
      result.rejections,
    );

    expect(body.rejections.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(body.omittedRejections).toBe(30);
  });
});

describe('errors payload of fixes of untrusted clock', () => {
  it('lists the stored fixes flagged clock, with why, beside the rejections', () => {
    const topic = `devices/${IMEI}/fixes`;
    const receivedAt = new Date('2026-11-22T05:00:00Z');
    const result = decodeDeviceMessage(
      topic,
      jsonPayload({
        fixes: [
          { time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 },
          { time: '2026-11-09T04:59:00Z', lat: -12, lon: -77 },
          { time: '2026-11-22T06:00:00Z', lat: -12, lon: -77 },
        ],
      }),
      receivedAt,
    );

    const body = errorsPayload(topic, receivedAt, result.fixes.length, result.rejections, result.fixes);

    expect(body.rejections).toEqual([]);
    expect(body.untrustedClock).toEqual([
      expect.objectContaining({ index: 1, time: '2026-11-09T04:59:00.000Z', doubt: 'behind_receipt' }),
      expect.objectContaining({ index: 2, time: '2026-11-22T06:00:00.000Z', doubt: 'ahead_of_receipt' }),
    ]);
  });

  it('leaves the member out when every fix has a trusted clock', () => {
    const topic = `devices/${IMEI}/fixes`;
    const receivedAt = new Date('2026-11-22T05:00:00Z');
    const result = decodeDeviceMessage(
      topic,
      jsonPayload({ time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 }),
      receivedAt,
    );

    expect(errorsPayload(topic, receivedAt, 1, [], result.fixes)).not.toHaveProperty('untrustedClock');
  });
});
