import { cloudEvent, isAlertEventType, stableEventId } from './cloud-event';

describe('CloudEvents envelope', () => {
  it('has a stable UUID-shaped id per outbox event and agency, different across agencies and events', () => {
    const a = stableEventId('3f1c0a52-1111-4111-8111-000000000001', 'agency-a');
    expect(a).toBe(stableEventId('3f1c0a52-1111-4111-8111-000000000001', 'agency-a'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableEventId('3f1c0a52-1111-4111-8111-000000000001', 'agency-b')).not.toBe(a);
    expect(stableEventId('3f1c0a52-1111-4111-8111-000000000002', 'agency-a')).not.toBe(a);
  });

  it('builds a structured CloudEvents 1.0 event with the required attributes', () => {
    const event = cloudEvent({
      id: 'e1',
      type: 'violation.opened',
      subject: 'v1',
      time: new Date('2026-12-01T09:00:00Z'),
      agency: 'FEMA-MDD',
      data: { a: 1 },
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'e1',
      source: 'urn:centinela:alerts',
      type: 'violation.opened',
      subject: 'v1',
      time: '2026-12-01T09:00:00.000Z',
      datacontenttype: 'application/json',
      agency: 'FEMA-MDD',
      data: { a: 1 },
    });
  });

  it('knows the violation and integrity event types', () => {
    expect(isAlertEventType('violation.escalated')).toBe(true);
    expect(isAlertEventType('integrity.opened')).toBe(true);
    expect(isAlertEventType('machine.created')).toBe(false);
  });
});
