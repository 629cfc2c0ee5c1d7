import { jsonPayload } from '../testing/fixtures';
import { decodeStatus } from './status-decoder';

const receivedAt = new Date('2026-11-22T05:00:00Z');

describe(decodeStatus.name, () => {
  it('decodes a birth message with device time and firmware', () => {
    const payload = jsonPayload({ state: 'online', time: '2026-11-22T04:59:58Z', firmware: '03.28.07' });

    expect(decodeStatus(payload, receivedAt)).toEqual({
      status: {
        state: 'online',
        receivedAt,
        deviceTime: new Date('2026-11-22T04:59:58Z'),
        firmware: '03.28.07',
      },
      rejections: [],
    });
  });

  it('decodes a minimal last will', () => {
    expect(decodeStatus(jsonPayload({ state: 'offline' }), receivedAt)).toEqual({
      status: { state: 'offline', receivedAt },
      rejections: [],
    });
  });

  it.each([
    ['a missing state', jsonPayload({ firmware: 'x' }), 'missing_field'],
    ['an unknown state', jsonPayload({ state: 'sleeping' }), 'invalid_value'],
    ['a state of the wrong type', jsonPayload({ state: 1 }), 'invalid_value'],
    ['a payload that is not an object', jsonPayload(['online']), 'not_an_object'],
    ['a payload that is not JSON', Buffer.from('online'), 'invalid_json'],
  ])('refuses %s', (_, payload, reason) => {
    const { status, rejections } = decodeStatus(payload, receivedAt);

    expect(status).toBeUndefined();
    expect(rejections).toEqual([expect.objectContaining({ reason, scope: 'message' })]);
  });

  it('drops bad optional fields with field rejections and keeps the state', () => {
    const payload = jsonPayload({
      state: 'offline',
      time: 'yesterday',
      firmware: 3,
      reason: 'x'.repeat(201),
    });

    const { status, rejections } = decodeStatus(payload, receivedAt);

    expect(status).toEqual({ state: 'offline', receivedAt });
    expect(rejections.map((r) => [r.reason, r.field, r.scope])).toEqual([
      ['invalid_time', 'time', 'field'],
      ['invalid_type', 'firmware', 'field'],
      ['out_of_range', 'reason', 'field'],
    ]);
  });
});
