import {
  FIX_EVENTS,
  FIX_FLAGS,
  Fix,
  FixEvent,
  FixFlag,
  FixSource,
  GnssJammingState,
  positionId,
} from '@app/telemetry';
import type { NewPosition, PositionRow } from './schema';

/**
 * A stored fix and its row in `positions`: the one converter each way. What the rules and the integrity detectors
 * read of a fix survives the round trip, so a live state rebuilt from stored positions is the one built as the
 * fixes arrived. (Teltonika I/O elements stay in the stored message, not in the row.)
 */
export function positionRowOf(fix: Fix, messageId: string): NewPosition {
  return {
    imei: fix.deviceId,
    fix_time: new Date(fix.time),
    received_at: new Date(fix.receivedAt),
    lat: fix.lat,
    lon: fix.lon,
    h3_cell: fix.cell ?? null,
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
    gnss_jamming: fix.gnssJamming ?? null,
    gsm_jamming: fix.gsmJamming ?? null,
    source: fix.source,
    message_id: messageId,
    message_index: fix.index,
  };
}

/** The fix a stored row holds, as it was when stored (with its id and cell). */
export function fixOfPositionRow(row: PositionRow): Fix {
  const time = row.fix_time.getTime();
  const events = row.events.filter(isFixEvent);
  const fix: Fix = {
    deviceId: row.imei,
    source: row.source as FixSource,
    time,
    receivedAt: row.received_at.getTime(),
    lat: row.lat,
    lon: row.lon,
    events,
    flags: row.flags.filter(isFixFlag),
    trusted: row.trusted,
    index: row.message_index,
    id: positionId(row.imei, time),
  };
  if (row.h3_cell !== null) fix.cell = row.h3_cell;
  if (row.speed_kmh !== null) fix.speedKmh = row.speed_kmh;
  if (row.heading_deg !== null) fix.headingDeg = row.heading_deg;
  if (row.altitude_m !== null) fix.altitudeM = row.altitude_m;
  if (row.hdop !== null) fix.hdop = row.hdop;
  if (row.pdop !== null) fix.pdop = row.pdop;
  if (row.satellites !== null) fix.satellites = row.satellites;
  if (row.ignition !== null) fix.ignition = row.ignition;
  if (row.external_voltage_v !== null) fix.externalVoltageV = row.external_voltage_v;
  if (row.battery_v !== null) fix.batteryV = row.battery_v;
  if (row.sequence !== null) fix.sequence = Number(row.sequence);
  if (row.gnss_jamming !== null) fix.gnssJamming = row.gnss_jamming as GnssJammingState;
  if (row.gsm_jamming !== null) fix.gsmJamming = row.gsm_jamming;
  // Only the Teltonika decoder reads towing and unplugging as states of their own (I/O 246 and 252), true
  // exactly when the event is reported; a JSON fix reports them as events only.
  if (fix.source === 'teltonika') {
    if (events.includes('towing')) fix.towing = true;
    if (events.includes('unplug')) fix.unplugged = true;
  }
  return fix;
}

function isFixEvent(value: string): value is FixEvent {
  return (FIX_EVENTS as readonly string[]).includes(value);
}

function isFixFlag(value: string): value is FixFlag {
  return (FIX_FLAGS as readonly string[]).includes(value);
}
