import { FIX_TIME_MAX_MS, FIX_TIME_MIN_MS } from '../storable';

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

const RANGE = `from ${new Date(FIX_TIME_MIN_MS).toISOString()} to ${new Date(FIX_TIME_MAX_MS).toISOString()}`;

export type ParsedTime = { ok: true; time: Date } | { ok: false; message: string };

/**
 * Accepts an ISO-8601 UTC string with a `Z` suffix (`2026-11-22T05:00:00Z`, fractions of a second allowed and
 * cut to milliseconds) or an integer count of milliseconds since 1970-01-01T00:00:00Z, of a time from 1970 to 2100
 * (`FIX_TIME_MIN_MS`, `FIX_TIME_MAX_MS`: what the registry stores as a device time).
 */
export function parseFixTime(value: string | number): ParsedTime {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < FIX_TIME_MIN_MS || value > FIX_TIME_MAX_MS) {
      return {
        ok: false,
        message: `epoch time must be an integer number of milliseconds from ${FIX_TIME_MIN_MS} to ${FIX_TIME_MAX_MS} (${RANGE}), got ${value}`,
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
  if (time.getTime() < FIX_TIME_MIN_MS || time.getTime() > FIX_TIME_MAX_MS)
    return { ok: false, message: `time must be ${RANGE}, got "${value}"` };
  return { ok: true, time };
}
