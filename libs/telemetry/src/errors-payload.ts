import { Fix, Rejection, hasUntrustedClock } from './model';

/** Most rejections listed in one errors message; a batch of 500 bad entries still fits in a small message. */
export const MAX_REJECTIONS_PER_ERRORS_MESSAGE = 100;

/** Why a stored fix's device time was not trusted. */
export type ClockDoubt = 'ahead_of_receipt' | 'behind_receipt' | 'before_binding';

/** A fix stored, but flagged `clock`: its device time cannot be placed, so it neither opens nor closes anything. */
export interface UntrustedClockFix {
  /** Position of the fix in its message (batch index or AVL record index). */
  index: number;
  /** The device time of the fix, as the platform read it. */
  time: string;
  doubt: ClockDoubt;
  message: string;
}

/** Body published to `devices/{imei}/errors` for one refused or partly refused message. */
export interface ErrorsPayload {
  /** Topic of the message the rejections are about. */
  topic: string;
  receivedAt: string;
  /** How many fixes of that message were stored. */
  acceptedFixes: number;
  /** The first rejections, in order of `index`. */
  rejections: Rejection[];
  /** Rejections left out of `rejections` because of the size cap; absent when none were. */
  omittedRejections?: number;
  /** The first stored fixes whose device time was not trusted; absent when there were none. */
  untrustedClock?: UntrustedClockFix[];
  /** Fixes of untrusted clock left out of `untrustedClock` because of the size cap; absent when none were. */
  omittedUntrustedClock?: number;
}

export function errorsPayload(
  topic: string,
  receivedAt: Date,
  acceptedFixes: number,
  rejections: readonly Rejection[],
  storedFixes: readonly Fix[] = [],
): ErrorsPayload {
  const omitted = rejections.length - MAX_REJECTIONS_PER_ERRORS_MESSAGE;
  const untrusted = storedFixes.filter(hasUntrustedClock);
  const omittedUntrusted = untrusted.length - MAX_REJECTIONS_PER_ERRORS_MESSAGE;
  return {
    topic,
    receivedAt: receivedAt.toISOString(),
    acceptedFixes,
    rejections: rejections.slice(0, MAX_REJECTIONS_PER_ERRORS_MESSAGE),
    ...(omitted > 0 && { omittedRejections: omitted }),
    ...(untrusted.length > 0 && {
      untrustedClock: untrusted.slice(0, MAX_REJECTIONS_PER_ERRORS_MESSAGE).map(untrustedClockFix),
    }),
    ...(omittedUntrusted > 0 && { omittedUntrustedClock: omittedUntrusted }),
  };
}

function untrustedClockFix(fix: Fix): UntrustedClockFix {
  const time = new Date(fix.time).toISOString();
  const doubt: ClockDoubt = fix.flags.includes('future_time')
    ? 'ahead_of_receipt'
    : fix.flags.includes('stale_time')
      ? 'behind_receipt'
      : 'before_binding';
  const messages: Record<ClockDoubt, string> = {
    ahead_of_receipt: `time ${time} is ahead of the time the message arrived beyond the tolerance`,
    behind_receipt: `time ${time} is older than the tolerance for late fixes`,
    before_binding: `time ${time} is before the tracker was bound to its machine`,
  };
  return {
    index: fix.index,
    time,
    doubt,
    message: `${messages[doubt]}; the fix was stored, flagged clock, and opens no alert (check the tracker's clock source)`,
  };
}
