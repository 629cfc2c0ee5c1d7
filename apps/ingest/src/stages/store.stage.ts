import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { NewDeviceMessage, NewPosition, Repositories, positionRowOf } from '@app/db';
import { DEFAULT_INDEX_PARAMS } from '@app/geofence';
import { isOnEarth, positionId } from '@app/telemetry';
import { MachineOfTracker } from '../rules.evaluator';
import type { BatchMessage } from './batch-message';

/** The resolution of the H3 cell stored with every fix; the geofence index derives its coarser cells from it. */
export const POSITION_CELL_RESOLUTION = DEFAULT_INDEX_PARAMS.fineRes;

/** A message whose fixes the batch stores: a registered tracker's, with at least one fix. */
export interface StoredMessage {
  readonly item: BatchMessage;
  readonly imei: string;
  readonly machine: MachineOfTracker | null;
}

/** What the batch stores: each message once, each fix once with its H3 cell. */
export interface TelemetryRows {
  readonly messages: NewDeviceMessage[];
  readonly positions: NewPosition[];
  readonly stored: StoredMessage[];
}

/**
 * Stage 4, store: the rows of the batch's messages and fixes (messages of unregistered trackers, and messages
 * without fixes, are not stored), written by `storeTelemetry` in one statement with the others of the batch.
 * Each fix gets, in place, the id and the H3 cell it is stored with, which the rules and the detectors then read.
 */
export function telemetryRows(batch: readonly BatchMessage[]): TelemetryRows {
  const rows: TelemetryRows = { messages: [], positions: [], stored: [] };
  for (const item of batch) {
    if (item.machine === undefined || item.fixes.length === 0) continue;
    const imei = item.imei as string;
    const id = randomUUID();
    rows.messages.push({
      id,
      imei,
      topic: item.message.topic,
      payload: item.message.payload,
      receivedAt: item.message.receivedAt,
    });
    rows.stored.push({ item, imei, machine: item.machine });
    for (const fix of item.fixes) {
      fix.id = positionId(imei, fix.time);
      if (isOnEarth(fix.lat, fix.lon)) fix.cell = latLngToCell(fix.lat, fix.lon, POSITION_CELL_RESOLUTION);
      rows.positions.push(positionRowOf(fix, id));
    }
  }
  return rows;
}

/** Stores the batch's messages and fixes, each once; returns how many fixes were new. */
export function storeTelemetry(repos: Repositories, rows: TelemetryRows): Promise<number> {
  return repos.positions.storeTelemetry(rows.messages, rows.positions);
}
