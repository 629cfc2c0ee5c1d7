const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Latest instant accepted as an epoch: 9999-12-31T23:59:59.999Z. */
const MAX_EPOCH_MS = 253_402_300_799_999;

export type ParsedTime = { ok: true; time: Date } | { ok: false; message: string };

/**
 * Accepts an ISO-8601 UTC string with a `Z` suffix (`2026-11-22T05:00:00Z`, fractions of a second allowed and
 * cut to milliseconds) or an integer count of milliseconds since 1970-01-01T00:00:00Z.
 */
export function parseFixTime(value: string | number): ParsedTime {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_EPOCH_MS) {
      return {
        ok: false,
        message: `epoch time must be an integer number of milliseconds from 0 to ${MAX_EPOCH_MS}`,
      };
    }
    return { ok: true, time: new Date(value) };
  }
  const match = ISO_UTC.exec(value);
  if (!match) {
    return { ok: false, message: 'time must be ISO-8601 in UTC with a Z suffix, e.g. 2026-11-22T05:00:00Z' };
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  time.setUTCFullYear(year);
  const calendarMatches =
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute &&
    time.getUTCSeconds() === second;
  if (!calendarMatches) return { ok: false, message: `"${value}" is not a calendar date and time` };
  return { ok: true, time };
}
