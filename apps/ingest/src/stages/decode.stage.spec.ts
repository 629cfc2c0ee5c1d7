import { decode } from './decode.stage';
import { IMEI, OTHER_IMEI, incoming, jsonFix } from './testing';

describe(decode.name, () => {
  it('reads the fixes of a JSON message as drafts, leaving the plausibility check to the next stage', () => {
    const item = decode(
      incoming(`devices/${IMEI}/fixes`, {
        fixes: [jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2), jsonFix('2026-11-22T04:59:30Z', 0, 0)],
      }),
    );

    expect(item).toMatchObject({ imei: IMEI, channel: 'fixes', rejections: [], fixes: [] });
    expect(item.drafts.map((d) => [d.lat, d.lon])).toEqual([
      [-12.6, -69.2],
      [0, 0],
    ]);
    expect(item.drafts[1]).not.toHaveProperty('flags');
  });

  it('reads a status message', () => {
    const item = decode(incoming(`devices/${IMEI}/status`, { state: 'offline', reason: 'shutdown' }));

    expect(item.status).toMatchObject({ state: 'offline', reason: 'shutdown' });
    expect(item.drafts).toEqual([]);
  });

  it('answers a refused topic with its rejection only', () => {
    const item = decode(incoming('devices/123/fixes', jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2)));

    expect(item.imei).toBeUndefined();
    expect(item.drafts).toEqual([]);
    expect(item.rejections).toEqual([expect.objectContaining({ reason: 'topic_imei_invalid' })]);
  });

  it('refuses a message under another IMEI than the one the broker authenticated', () => {
    const item = decode(
      incoming(`devices/${IMEI}/fixes`, jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2), undefined, {
        authenticatedImei: OTHER_IMEI,
      }),
    );

    expect(item.drafts).toEqual([]);
    expect(item.rejections).toEqual([expect.objectContaining({ reason: 'topic_imei_mismatch' })]);
  });
});
