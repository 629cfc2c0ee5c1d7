import fc from 'fast-check';
import { DEFAULT_RETRY_POLICY, nextAttempt, retryDelayMs, retrySchedule } from './backoff';

describe('retry backoff', () => {
  const policy = { initialDelayMs: 10_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };
  const created = new Date('2026-12-01T00:00:00Z');

  it('doubles the delay from attempt to attempt up to the cap, with half of it random', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, policy, () => 0.999999)).toBe(10_000);
    expect(retryDelayMs(2, policy, () => 0)).toBe(10_000);
    expect(retryDelayMs(3, policy, () => 0)).toBe(20_000);
    expect(retryDelayMs(30, policy, () => 0)).toBe(1_800_000);
    expect(retryDelayMs(30, policy, () => 0.9999999999)).toBe(3_600_000);
  });

  it('stays within [base/2, base] for any attempt and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const delay = retryDelayMs(n, policy, () => r);
          const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(n - 1, 40));
          return delay >= base / 2 - 1 && delay <= base + 1;
        },
      ),
    );
  });

  it('retries for the whole window, the last attempt at its end, then dead-letters', () => {
    const schedule = retrySchedule(created, policy, () => 0.5);
    const last = schedule[schedule.length - 1]!;
    expect(last.getTime() - created.getTime()).toBe(policy.windowMs);
    for (let i = 1; i < schedule.length; i++)
      expect(schedule[i]!.getTime()).toBeGreaterThan(schedule[i - 1]!.getTime());
    expect(nextAttempt(last, schedule.length, created, policy, () => 0.5)).toEqual({ deadLetter: true });
    expect(DEFAULT_RETRY_POLICY.windowMs).toBeGreaterThanOrEqual(24 * 3_600_000);
  });

  it('uses the time it is given, not a clock', () => {
    const now = new Date('2026-12-01T01:00:00Z');
    expect(nextAttempt(now, 1, created, policy, () => 0)).toEqual({
      retryAt: new Date(now.getTime() + 5_000),
    });
  });
});
