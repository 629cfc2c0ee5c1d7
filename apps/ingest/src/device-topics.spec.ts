import { DeviceTopics } from './device-topics';

const IMEI = '356307042441013';

describe(DeviceTopics.name, () => {
  it('parses a topic into its IMEI and channel, and answers it again from what it keeps', () => {
    const topics = new DeviceTopics();

    const first = topics.parse(`devices/${IMEI}/teltonika`);

    expect(first).toEqual({ ok: true, topic: { imei: IMEI, channel: 'teltonika' } });
    expect(topics.parse(`devices/${IMEI}/teltonika`)).toBe(first);
  });

  it('refuses a bad topic every time it comes', () => {
    const topics = new DeviceTopics();

    expect(topics.parse('devices/356307042441014/fixes')).toMatchObject({
      ok: false,
      rejection: { reason: 'topic_imei_invalid' },
    });
    expect(topics.parse('devices/356307042441014/fixes').ok).toBe(false);
  });

  it('keeps at most its bound of topics, and still parses what it forgot', () => {
    const topics = new DeviceTopics(2);
    const status = topics.parse(`devices/${IMEI}/status`);
    topics.parse(`devices/${IMEI}/fixes`);
    topics.parse(`devices/${IMEI}/teltonika`);

    const again = topics.parse(`devices/${IMEI}/status`);

    expect(again).not.toBe(status);
    expect(again).toEqual(status);
  });
});
