import { DEFAULT_LIMITS, DecodeLimits, assessPlausibility } from '@app/telemetry';
import { LiveState, advanceLastFix } from '../live-state';
import type { BatchMessage } from './batch-message';

/** What the plausibility check of a tracker's message takes besides its live state. */
export interface PlausibilityContext {
  /** The tolerances of the check (the device clock's from the configuration). */
  readonly limits: Readonly<DecodeLimits>;
  /** When the tracker was bound to its machine (epoch ms): a fix timed before it has an untrusted clock. */
  readonly boundAt?: number | undefined;
}

/**
 * Stage 3, check plausibility: completes the message's drafts into fixes, flagging the implausible ones (never
 * dropping them) against the tracker's last fix, held in its live state, which the fixes then advance. Messages
 * of one tracker pass in arrival order, so each is judged against the newest usable position before it. A fix
 * whose device time is beyond the clock tolerances of its receipt, or before the tracker was bound to its
 * machine, is flagged `clock`.
 */
export function checkPlausibility(
  item: BatchMessage,
  state: LiveState | undefined,
  context: PlausibilityContext = { limits: DEFAULT_LIMITS },
): void {
  item.fixes = assessPlausibility(
    item.drafts,
    item.message.receivedAt,
    context.limits,
    state?.lastFix,
    context.boundAt,
  );
  if (state) for (const fix of item.fixes) advanceLastFix(state, fix);
}
