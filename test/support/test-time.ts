const DAY_MS = 86_400_000;

/** UTC midnight ten days before this run: day 20 of the suites' calendar. */
const DAY_20 = Math.floor((Date.now() - 10 * DAY_MS) / DAY_MS) * DAY_MS - 20 * DAY_MS;

/**
 * A time on one of the suites' readable test days, as an ISO string: `testTime(20, '08:00:00')` is 08:00 UTC of
 * the day ten days before the run, `testTime(23, '08:00:00')` three days later. The suites write their fixes on
 * days 20–26, in the recent past of whenever they run, so the trackers enrolled a month before (`enrolDevice`)
 * own them and a fix is never older than the device-clock tolerance allows.
 */
export function testTime(day: number, clock: string): string {
  return new Date(DAY_20 + day * DAY_MS + Date.parse(`1970-01-01T${clock}Z`)).toISOString();
}
