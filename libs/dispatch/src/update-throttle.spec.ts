import { isUpdateEvent, updateWorthSending } from './update-throttle';

describe('updateWorthSending', () => {
  const interval = 15 * 60_000;
  const sent = { at: 0, severity: 'warning', workflowStatus: 'new' };

  it('sends the first update, and one per interval of an unchanged alert', () => {
    expect(updateWorthSending(undefined, sent, interval)).toBe(true);
    expect(updateWorthSending(sent, { ...sent, at: 70 }, interval)).toBe(false);
    expect(updateWorthSending(sent, { ...sent, at: interval - 1 }, interval)).toBe(false);
    expect(updateWorthSending(sent, { ...sent, at: interval }, interval)).toBe(true);
  });

  it('sends every change of severity or of the officers’ workflow at once', () => {
    expect(updateWorthSending(sent, { ...sent, at: 1, severity: 'violation' }, interval)).toBe(true);
    expect(updateWorthSending(sent, { ...sent, at: 1, workflowStatus: 'acknowledged' }, interval)).toBe(true);
  });

  it('knows update events by their type', () => {
    expect(isUpdateEvent('integrity.updated')).toBe(true);
    expect(isUpdateEvent('violation.retracted')).toBe(false);
  });
});
