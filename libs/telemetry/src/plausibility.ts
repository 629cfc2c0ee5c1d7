import { distanceMeters, isOnEarth } from './geo';
import { DecodedFix, FIX_FLAGS, FixFlag, PreviousFix } from './model';
import { DecodeLimits } from './options';

export type FixDraft = Omit<DecodedFix, 'flags' | 'trusted'>;

/** Flags that make a position unusable as the reference for the next implied-speed check. */
const POSITION_DOUBTS: ReadonlySet<FixFlag> = new Set([
  'null_island',
  'out_of_range',
  'no_gnss_fix',
  'impossible_speed',
]);

const NULL_ISLAND_DEGREES = 1e-6;

/**
 * Adds plausibility flags. Fixes are never dropped here. Implied speed is checked in device-time order against
 * the latest earlier fix whose position is not itself in doubt (the previous stored fix counts), so one wild
 * fix in a batch flags only itself, not the good fix after it.
 */
export function assessPlausibility(
  drafts: readonly FixDraft[],
  receivedAt: Date,
  limits: DecodeLimits,
  previousFix?: PreviousFix,
): DecodedFix[] {
  const flagSets = drafts.map((draft) => intrinsicFlags(draft, receivedAt, limits));

  const timeline: { time: number; draftIndex?: number; position: PreviousFix }[] = drafts.map(
    (draft, draftIndex) => ({
      time: draft.deviceTime.getTime(),
      draftIndex,
      position: draft,
    }),
  );
  if (previousFix && isOnEarth(previousFix.lat, previousFix.lon)) {
    timeline.unshift({ time: previousFix.deviceTime.getTime(), position: previousFix });
  }
  timeline.sort((a, b) => a.time - b.time);

  let anchor: PreviousFix | undefined;
  for (const { draftIndex, position } of timeline) {
    if (draftIndex === undefined) {
      anchor = position;
      continue;
    }
    const flags = flagSets[draftIndex]!;
    if (
      anchor &&
      !flags.has('out_of_range') &&
      impliedSpeedKmh(anchor, position) > limits.maxImpliedSpeedKmh
    ) {
      flags.add('impossible_speed');
    }
    if (!hasDoubt(flags)) anchor = position;
  }

  return drafts.map((draft, i) => {
    const set = flagSets[i]!;
    const flags = set.size === 0 ? [] : FIX_FLAGS.filter((flag) => set.has(flag));
    return { ...draft, flags, trusted: flags.length === 0 };
  });
}

function hasDoubt(flags: ReadonlySet<FixFlag>): boolean {
  for (const flag of flags) if (POSITION_DOUBTS.has(flag)) return true;
  return false;
}

function intrinsicFlags(draft: FixDraft, receivedAt: Date, limits: DecodeLimits): Set<FixFlag> {
  const flags = new Set<FixFlag>();
  if (!isOnEarth(draft.lat, draft.lon)) flags.add('out_of_range');
  else if (Math.abs(draft.lat) < NULL_ISLAND_DEGREES && Math.abs(draft.lon) < NULL_ISLAND_DEGREES)
    flags.add('null_island');
  if (draft.satellites === 0) flags.add('no_gnss_fix');
  else if (draft.satellites !== undefined && draft.satellites < limits.minSatellites)
    flags.add('low_quality');
  if (draft.hdop !== undefined && draft.hdop > limits.maxHdop) flags.add('low_quality');
  const ageMs = receivedAt.getTime() - draft.deviceTime.getTime();
  if (-ageMs > limits.maxFutureSkewMs) flags.add('future_time');
  if (ageMs > limits.maxAgeMs) flags.add('stale_time');
  return flags;
}

/** Fixes less than a second apart are treated as one second apart, so GNSS jitter is not an infinite speed. */
function impliedSpeedKmh(from: PreviousFix, to: PreviousFix): number {
  const seconds = Math.max(1, (to.deviceTime.getTime() - from.deviceTime.getTime()) / 1000);
  return (distanceMeters(from.lat, from.lon, to.lat, to.lon) / seconds) * 3.6;
}
