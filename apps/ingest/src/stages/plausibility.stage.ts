import { DEFAULT_LIMITS, PreviousFix, assessPlausibility, isOnEarth } from '@app/telemetry';
import { LiveState, advanceLastFix } from '../live-state';
import type { BatchMessage } from './batch-message';

/**
 * Stage 3, check plausibility: completes the message's drafts into fixes, flagging the implausible ones (never
 * dropping them) against the tracker's last fix, held in its live state, which the fixes then advance. Messages
 * of one tracker pass in arrival order, so each is judged against the newest position before it.
 */
export function checkPlausibility(item: BatchMessage, state: LiveState | undefined): void {
  const last = state?.lastFix;
  const previous: PreviousFix | undefined = last
    ? { deviceTime: new Date(last.time), lat: last.lat, lon: last.lon }
    : undefined;
  item.fixes = assessPlausibility(item.drafts, item.message.receivedAt, DEFAULT_LIMITS, previous);
  if (!state) return;
  for (const fix of item.fixes)
    if (isOnEarth(fix.lat, fix.lon))
      advanceLastFix(state, {
        time: fix.deviceTime.getTime(),
        receivedAt: fix.receivedAt.getTime(),
        lat: fix.lat,
        lon: fix.lon,
        speedKmh: fix.speedKmh,
        ignition: fix.ignition,
      });
}
