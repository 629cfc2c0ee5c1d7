import { Rejection } from './model';

/** Body published to `devices/{imei}/errors` for one refused or partly refused message. */
export interface ErrorsPayload {
  /** Topic of the message the rejections are about. */
  topic: string;
  receivedAt: string;
  /** How many fixes of that message were stored. */
  acceptedFixes: number;
  rejections: Rejection[];
}

export function errorsPayload(
  topic: string,
  receivedAt: Date,
  acceptedFixes: number,
  rejections: readonly Rejection[],
): ErrorsPayload {
  return { topic, receivedAt: receivedAt.toISOString(), acceptedFixes, rejections: [...rejections] };
}
