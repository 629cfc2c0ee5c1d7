import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { NewDeviceMessage, NewPosition, Repositories } from '@app/db';
import { DEFAULT_INDEX_PARAMS } from '@app/geofence';
import { DecodedFix, isOnEarth } from '@app/telemetry';
import { MachineOfTracker } from '../rules.evaluator';
import type { BatchMessage } from './batch-message';

/** The resolution of the H3 cell stored with every fix; the geofence index derives its coarser cells from it. */
export const POSITION_CELL_RESOLUTION = DEFAULT_INDEX_PARAMS.fineRes;

/** A message whose fixes the batch stores: a registered tracker's, with at least one fix. */
export interface StoredMessage {
  readonly item: BatchMessage;
  readonly imei: string;
  readonly machine: MachineOfTracker | null;
  /** Where the message's fixes start in `TelemetryRows.positions`, in the message's order. */
  readonly first: number;
}

/** What the batch stores: each message once, each fix once with its H3 cell. */
export interface TelemetryRows {
  readonly messages: NewDeviceMessage[];
  readonly positions: NewPosition[];
  /** The id of each fix in `positions` (`positionId`), quoted in the evidence of verdicts and alerts. */
  readonly ids: string[];
  readonly stored: StoredMessage[];
}

/**
 * Stage 4, store: the rows of the batch's messages and fixes (messages of unregistered trackers, and messages
 * without fixes, are not stored), written by `storeTelemetry` in one statement with the others of the batch.
 */
export function telemetryRows(batch: readonly BatchMessage[]): TelemetryRows {
  const rows: TelemetryRows = { messages: [], positions: [], ids: [], stored: [] };
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
    rows.stored.push({ item, imei, machine: item.machine, first: rows.positions.length });
    for (const fix of item.fixes) {
      rows.positions.push(positionRow(imei, id, fix));
      rows.ids.push(positionId(imei, fix.deviceTime));
    }
  }
  return rows;
}

/** Stores the batch's messages and fixes, each once; returns how many fixes were new. */
export function storeTelemetry(repos: Repositories, rows: TelemetryRows): Promise<number> {
  return repos.positions.storeTelemetry(rows.messages, rows.positions);
}

/** The stored id of a tracker's fix, quoted in the evidence of verdicts and alerts. */
export function positionId(imei: string, deviceTime: Date): string {
  return `${imei}@${deviceTime.toISOString()}`;
}

export function positionRow(imei: string, messageId: string, fix: DecodedFix): NewPosition {
  return {
    imei,
    fix_time: fix.deviceTime,
    received_at: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    h3_cell: isOnEarth(fix.lat, fix.lon) ? latLngToCell(fix.lat, fix.lon, POSITION_CELL_RESOLUTION) : null,
    speed_kmh: fix.speedKmh ?? null,
    heading_deg: fix.headingDeg ?? null,
    altitude_m: fix.altitudeM ?? null,
    hdop: fix.hdop ?? null,
    pdop: fix.pdop ?? null,
    satellites: fix.satellites ?? null,
    ignition: fix.ignition ?? null,
    external_voltage_v: fix.externalVoltageV ?? null,
    battery_v: fix.batteryV ?? null,
    events: fix.events,
    flags: fix.flags,
    trusted: fix.trusted,
    sequence: fix.sequence ?? null,
    source: fix.source,
    message_id: messageId,
    message_index: fix.index,
  };
}
