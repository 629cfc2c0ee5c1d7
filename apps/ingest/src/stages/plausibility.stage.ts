import { DEFAULT_LIMITS, assessPlausibility } from '@app/telemetry';
import { LiveState, advanceLastFix } from '../live-state';
import type { BatchMessage } from './batch-message';

/**
 * Stage 3, check plausibility: completes the message's drafts into fixes, flagging the implausible ones (never
 * dropping them) against the tracker's last fix, held in its live state, which the fixes then advance. Messages
 * of one tracker pass in arrival order, so each is judged against the newest usable position before it.
 */
export function checkPlausibility(item: BatchMessage, state: LiveState | undefined): void {
  item.fixes = assessPlausibility(item.drafts, item.message.receivedAt, DEFAULT_LIMITS, state?.lastFix);
  if (state) for (const fix of item.fixes) advanceLastFix(state, fix);
}
