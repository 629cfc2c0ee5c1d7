import { IMEI } from './testing/fixtures';
import { deviceTopic, errorsTopic, parseDeviceTopic, receiptsTopic } from './topic';

describe(parseDeviceTopic.name, () => {
  it.each(['fixes', 'status', 'teltonika', 'errors', 'receipts'] as const)('accepts devices/{imei}/%s', (channel) => {
    expect(parseDeviceTopic(`devices/${IMEI}/${channel}`)).toEqual({
      ok: true,
      topic: { imei: IMEI, channel },
    });
  });

  it.each([
    ['a wrong Luhn check digit', 'devices/356307042441014/fixes'],
    ['14 digits', 'devices/35630704244101/fixes'],
    ['letters', 'devices/35630704244101A/fixes'],
    ['an empty IMEI', 'devices//fixes'],
  ])('refuses an IMEI with %s', (_, topic) => {
    expect(parseDeviceTopic(topic)).toEqual({
      ok: false,
      rejection: expect.objectContaining({ reason: 'topic_imei_invalid', scope: 'message' }),
    });
  });

  it.each([
    ['another root', `trackers/${IMEI}/fixes`],
    ['an unknown channel', `devices/${IMEI}/positions`],
    ['an extra level', `devices/${IMEI}/fixes/extra`],
    ['no channel', `devices/${IMEI}`],
    ['a trailing slash', `devices/${IMEI}/fixes/`],
  ])('refuses a topic with %s', (_, topic) => {
    expect(parseDeviceTopic(topic)).toEqual({
      ok: false,
      rejection: expect.objectContaining({ reason: 'unknown_topic' }),
    });
  });

  it('refuses a bad topic every time it comes', () => {
    const topic = 'devices/356307042441014/fixes';

    expect(parseDeviceTopic(topic).ok).toBe(false);
    expect(parseDeviceTopic(topic).ok).toBe(false);
  });

  it('builds the topics it parses', () => {
    expect(deviceTopic(IMEI, 'teltonika')).toBe(`devices/${IMEI}/teltonika`);
    expect(errorsTopic(IMEI)).toBe(`devices/${IMEI}/errors`);
    expect(receiptsTopic(IMEI)).toBe(`devices/${IMEI}/receipts`);
  });
});
