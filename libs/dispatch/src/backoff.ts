/** Retry policy of a delivery: exponential backoff with jitter, for a window after the event was created. */
export interface RetryPolicy {
  /** Delay before the second attempt (before jitter). */
  readonly initialDelayMs: number;
  /** Cap of the delay between two attempts (before jitter). */
  readonly maxDelayMs: number;
  /** How long after the event attempts go on; then the delivery is dead-lettered. */
  readonly windowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 10_000,
  maxDelayMs: 3_600_000,
  windowMs: 24 * 3_600_000,
};

/**
 * The delay after failed attempt number `attempt` (1 = the first): the exponential base, capped, with "equal
 * jitter" (half fixed, half random) so that receivers coming back are not hit by every sender at once.
 * `random` returns [0, 1).
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 40));
  return Math.round(base / 2 + random() * (base / 2));
}

export type RetryDecision = { readonly retryAt: Date } | { readonly deadLetter: true };

/**
 * After a failed attempt at `now`: the time of the next attempt, or dead-lettering once the window since the
 * event's creation is over. The last attempt falls at the window's end, so the window is always used in full.
 */
export function nextAttempt(
  now: Date,
  attempt: number,
  createdAt: Date,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  const end = createdAt.getTime() + policy.windowMs;
  if (now.getTime() >= end) return { deadLetter: true };
  const at = Math.min(now.getTime() + retryDelayMs(attempt, policy, random), end);
  return { retryAt: new Date(at) };
}

/** The attempt times a delivery failing every time would have (without jitter's randomness: `random` given). */
export function retrySchedule(createdAt: Date, policy: RetryPolicy, random: () => number): Date[] {
  const times: Date[] = [createdAt];
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const decision = nextAttempt(times[times.length - 1]!, attempt, createdAt, policy, random);
    if ('deadLetter' in decision) break;
    times.push(decision.retryAt);
  }
  return times;
}
