/** What agencies were last sent of an alert: when it was written, and the state it carried. */
export interface SentState {
  /** When the event was written (ms since 1970). */
  readonly at: number;
  readonly severity: string;
  readonly workflowStatus: string;
}

/**
 * Whether an `*.updated` event of an alert is sent to the agencies: always when its severity or the officers'
 * workflow status changed since what they were last sent, else only once `intervalMs` has passed since then.
 * Opened, closed, retracted and escalated events are always sent; without anything sent before, so is an update.
 */
export function updateWorthSending(
  last: SentState | undefined,
  next: SentState,
  intervalMs: number,
): boolean {
  if (!last) return true;
  if (next.severity !== last.severity || next.workflowStatus !== last.workflowStatus) return true;
  return next.at - last.at >= intervalMs;
}

export function isUpdateEvent(type: string): boolean {
  return type.endsWith('.updated');
}
