import type { Fix } from './model';

/**
 * Most fixes listed in one receipt: a tracker's share of a batch may hold thousands of fixes (a flushed buffer),
 * so its receipt is cut into messages of at most this many (about 20 kB each).
 */
export const MAX_FIXES_PER_RECEIPT = 500;

/** One stored fix, as a receipt names it: the device time it is stored under, and its sequence if it had one. */
export interface ReceiptedFix {
  /** The fix's device time in milliseconds since 1970-01-01T00:00:00Z (UTC), however the tracker wrote it. */
  readonly time: number;
  /** The fix's `sequence` (JSON) as sent; absent when it had none (Teltonika records never have one). */
  readonly sequence?: number;
}

/**
 * Body published to `devices/{imei}/receipts` after the commit that stored the fixes it names: the tracker may
 * delete them from its flash. A fix the store already had (a re-send) is stored too, and named as well.
 */
export interface ReceiptPayload {
  readonly fixes: ReceiptedFix[];
}

/**
 * The receipts of one tracker's stored fixes: each device time once (the store keeps one fix per tracker and
 * time), in the order given, cut into payloads of at most `MAX_FIXES_PER_RECEIPT` fixes.
 */
export function receiptPayloads(
  fixes: Iterable<Pick<Fix, 'time' | 'sequence'>>,
  maxPerReceipt = MAX_FIXES_PER_RECEIPT,
): ReceiptPayload[] {
  const seen = new Set<number>();
  const payloads: ReceiptPayload[] = [];
  let current: ReceiptedFix[] = [];
  for (const fix of fixes) {
    if (seen.has(fix.time)) continue;
    seen.add(fix.time);
    current.push(
      fix.sequence === undefined ? { time: fix.time } : { time: fix.time, sequence: fix.sequence },
    );
    if (current.length === maxPerReceipt) {
      payloads.push({ fixes: current });
      current = [];
    }
  }
  if (current.length > 0) payloads.push({ fixes: current });
  return payloads;
}

/**
 * Reads a receipt as firmware would (the reference for firmware developers and the simulator): the device times
 * (and sequences) it names. Undefined when the payload is not a receipt; entries that are not fixes are skipped.
 */
export function readReceiptPayload(payload: Uint8Array): ReceiptPayload | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { fixes?: unknown }).fixes))
    return undefined;
  const fixes: ReceiptedFix[] = [];
  for (const entry of (parsed as { fixes: unknown[] }).fixes) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { time, sequence } = entry as { time?: unknown; sequence?: unknown };
    if (typeof time !== 'number' || !Number.isSafeInteger(time)) continue;
    fixes.push(
      typeof sequence === 'number' && Number.isSafeInteger(sequence) ? { time, sequence } : { time },
    );
  }
  return { fixes };
}
