import { Rejection } from './model';

/** Most rejections listed in one errors message; a batch of 500 bad entries still fits in a small message. */
export const MAX_REJECTIONS_PER_ERRORS_MESSAGE = 100;

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
}

export function errorsPayload(
  topic: string,
  receivedAt: Date,
  acceptedFixes: number,
  rejections: readonly Rejection[],
): ErrorsPayload {
  const omitted = rejections.length - MAX_REJECTIONS_PER_ERRORS_MESSAGE;
  return {
    topic,
    receivedAt: receivedAt.toISOString(),
    acceptedFixes,
    rejections: rejections.slice(0, MAX_REJECTIONS_PER_ERRORS_MESSAGE),
    ...(omitted > 0 && { omittedRejections: omitted }),
  };
}
