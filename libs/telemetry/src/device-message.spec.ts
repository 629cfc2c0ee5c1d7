import { decodeDeviceMessage } from './device-message';
import { IMEI, jsonPayload, OTHER_IMEI, TELTONIKA_SAMPLES, hexPacket } from './testing/fixtures';

const receivedAt = new Date('2026-11-22T05:00:00Z');

describe(decodeDeviceMessage.name, () => {
  it('decodes JSON fixes on the fixes channel', () => {
    const payload = jsonPayload({ time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 });

    const result = decodeDeviceMessage(`devices/${IMEI}/fixes`, payload, receivedAt);

    expect(result).toMatchObject({ imei: IMEI, channel: 'fixes', rejections: [] });
    expect(result.fixes).toEqual([expect.objectContaining({ source: 'json', lat: -12, lon: -77 })]);
  });

  it('decodes AVL packets on the teltonika channel', () => {
    const result = decodeDeviceMessage(
      `devices/${IMEI}/teltonika`,
      hexPacket(TELTONIKA_SAMPLES.codec8Gulf),
      receivedAt,
    );

    expect(result).toMatchObject({ imei: IMEI, channel: 'teltonika', rejections: [] });
    expect(result.fixes).toEqual([expect.objectContaining({ source: 'teltonika', lat: 25.6808615 })]);
  });

  it('decodes the status channel into a status and no fixes', () => {
    const result = decodeDeviceMessage(
      `devices/${IMEI}/status`,
      jsonPayload({ state: 'online' }),
      receivedAt,
    );

    expect(result).toEqual({
      imei: IMEI,
      channel: 'status',
      fixes: [],
      rejections: [],
      status: { state: 'online', receivedAt },
    });
  });

  it('passes the previous stored fix and limits to the decoders', () => {
    const payload = jsonPayload({ time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 });
    const previousFix = { time: Date.parse('2026-11-22T04:58:59Z'), lat: -13, lon: -77 };

    const result = decodeDeviceMessage(`devices/${IMEI}/fixes`, payload, receivedAt, { previousFix });

    expect(result.fixes[0]!.flags).toEqual(['impossible_speed']);
  });

  it('refuses a topic that names another device than the authenticated one', () => {
    const payload = jsonPayload({ time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 });

    const result = decodeDeviceMessage(`devices/${OTHER_IMEI}/fixes`, payload, receivedAt, {
      authenticatedImei: IMEI,
    });

    expect(result.fixes).toEqual([]);
    expect(result.rejections).toEqual([
      expect.objectContaining({ reason: 'topic_imei_mismatch', scope: 'message' }),
    ]);
  });

  it.each(['errors', 'receipts'] as const)('refuses messages published to the %s channel', (channel) => {
    const result = decodeDeviceMessage(`devices/${IMEI}/${channel}`, jsonPayload({}), receivedAt);

    expect(result).toMatchObject({ imei: IMEI, channel, fixes: [] });
    expect(result.rejections).toEqual([expect.objectContaining({ reason: 'read_only_topic' })]);
  });

  it('refuses an unknown topic without naming a device', () => {
    const result = decodeDeviceMessage('devices/123/fixes', jsonPayload({}), receivedAt);

    expect(result).toEqual({
      fixes: [],
      rejections: [expect.objectContaining({ reason: 'topic_imei_invalid' })],
    });
  });
});
