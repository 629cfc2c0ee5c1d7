import { distanceMeters, isOnEarth } from './geo';
import { FIX_FLAGS, Fix, FixFlag, PreviousFix } from './model';
import { DecodeLimits } from './options';

export type FixDraft = Omit<Fix, 'flags' | 'trusted'>;

/** A set of flags as bits, bit i standing for `FIX_FLAGS[i]`: a fix is assessed on every message ingest takes. */
type FlagBits = number;

const bit = (flag: FixFlag): FlagBits => 1 << FIX_FLAGS.indexOf(flag);
const NULL_ISLAND = bit('null_island');
const OUT_OF_RANGE = bit('out_of_range');
const NO_GNSS_FIX = bit('no_gnss_fix');
const LOW_QUALITY = bit('low_quality');
const FUTURE_TIME = bit('future_time');
const STALE_TIME = bit('stale_time');
const IMPOSSIBLE_SPEED = bit('impossible_speed');
const CLOCK = bit('clock');

/** Flags that make a fix unusable as the reference for the next implied-speed check (its position or its time). */
const REFERENCE_DOUBTS: FlagBits = NULL_ISLAND | OUT_OF_RANGE | NO_GNSS_FIX | IMPOSSIBLE_SPEED | CLOCK;

const NULL_ISLAND_DEGREES = 1e-6;

/**
 * Adds plausibility flags, completing the drafts into decoded fixes (the drafts are taken over). Fixes are never
 * dropped here. Implied speed is checked in device-time order against
 * the latest earlier fix whose position is not itself in doubt (the previous stored fix counts), so one wild
 * fix in a batch flags only itself, not the good fix after it. A fix timed before `boundAt` (when the tracker
 * was bound to its machine) is flagged `clock`, as is one beyond the limits' tolerances of its receipt.
 */
export function assessPlausibility(
  drafts: readonly FixDraft[],
  receivedAt: Date,
  limits: DecodeLimits,
  previousFix?: PreviousFix,
  boundAt?: number,
): Fix[] {
  const received = receivedAt.getTime();
  const flags = drafts.map((draft) => intrinsicFlags(draft, received, limits, boundAt));
  const times = drafts.map((draft) => draft.time);
  const order = drafts.length === 1 ? [0] : drafts.map((_, i) => i).sort((a, b) => times[a]! - times[b]!);

  // The previous fix takes its place in time order, before the drafts of its own time.
  let previous =
    previousFix && isOnEarth(previousFix.lat, previousFix.lon)
      ? { position: previousFix, time: previousFix.time }
      : undefined;
  let anchor: PreviousFix | undefined;
  for (const i of order) {
    if (previous && previous.time <= times[i]!) {
      anchor = previous.position;
      previous = undefined;
    }
    const draft = drafts[i]!;
    if (
      anchor &&
      (flags[i]! & (OUT_OF_RANGE | CLOCK)) === 0 &&
      impliedSpeedKmh(anchor, draft) > limits.maxImpliedSpeedKmh
    ) {
      flags[i]! |= IMPOSSIBLE_SPEED;
    }
    if ((flags[i]! & REFERENCE_DOUBTS) === 0) anchor = draft;
  }

  // Completed in place: copying every field of every fix cost more than the checks themselves.
  return drafts.map((draft, i) => {
    const set = flags[i]!;
    const fix = draft as FixDraft & Pick<Fix, 'flags' | 'trusted'>;
    fix.flags = set === 0 ? [] : FIX_FLAGS.filter((_, b) => (set & (1 << b)) !== 0);
    fix.trusted = set === 0;
    return fix;
  });
}

function intrinsicFlags(
  draft: FixDraft,
  receivedAt: number,
  limits: DecodeLimits,
  boundAt: number | undefined,
): FlagBits {
  let flags = 0;
  if (!isOnEarth(draft.lat, draft.lon)) flags |= OUT_OF_RANGE;
  else if (Math.abs(draft.lat) < NULL_ISLAND_DEGREES && Math.abs(draft.lon) < NULL_ISLAND_DEGREES)
    flags |= NULL_ISLAND;
  if (draft.satellites === 0) flags |= NO_GNSS_FIX;
  else if (draft.satellites !== undefined && draft.satellites < limits.minSatellites) flags |= LOW_QUALITY;
  if (draft.hdop !== undefined && draft.hdop > limits.maxHdop) flags |= LOW_QUALITY;
  const ageMs = receivedAt - draft.time;
  if (-ageMs > limits.maxFutureSkewMs) flags |= FUTURE_TIME | CLOCK;
  if (ageMs > limits.maxAgeMs) flags |= STALE_TIME | CLOCK;
  if (boundAt !== undefined && draft.time < boundAt) flags |= CLOCK;
  return flags;
}

/** Fixes less than a second apart are treated as one second apart, so GNSS jitter is not an infinite speed. */
function impliedSpeedKmh(from: PreviousFix, to: PreviousFix): number {
  const seconds = Math.max(1, (to.time - from.time) / 1000);
  return (distanceMeters(from.lat, from.lon, to.lat, to.lon) / seconds) * 3.6;
}
