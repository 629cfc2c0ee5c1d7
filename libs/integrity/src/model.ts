import type { DeviceStatus, Fix, FixEvent, FixFlag } from '@app/telemetry';
import type { MachineCategory } from '@app/registry';
import type { IntegrityParams } from './params';

export type { MachineCategory };

/** What an integrity alert is about. The ingest stores it as rule `integrity.<kind>`. */
export const INTEGRITY_KINDS = ['went_dark', 'power_cut', 'tamper', 'gnss_jamming', 'spoofing'] as const;
export type IntegrityKind = (typeof INTEGRITY_KINDS)[number];

export type IntegritySeverity = 'violation' | 'warning';

/** Periods a clerk declared for a machine: alerts inside them are downgraded, never dropped. */
export const DECLARED_WINDOW_KINDS = ['maintenance', 'out_of_service', 'authorised_transport'] as const;
export type DeclaredWindowKind = (typeof DECLARED_WINDOW_KINDS)[number];

export interface DeclaredWindow {
  id: string;
  kind: DeclaredWindowKind;
  /** Epoch milliseconds, `from` included, `to` excluded. */
  from: number;
  to: number;
  reason?: string;
}

/**
 * One fix as the integrity detectors read it: a view of `@app/telemetry`'s fix, with the same names. Flagged
 * (untrusted) fixes are inputs here too.
 */
export type IntegrityFix = Pick<
  Fix,
  | 'id'
  | 'time'
  | 'receivedAt'
  | 'lat'
  | 'lon'
  | 'speedKmh'
  | 'ignition'
  | 'hdop'
  | 'satellites'
  | 'externalVoltageV'
  | 'batteryV'
  | 'gnssJamming'
  | 'gsmJamming'
  | 'towing'
  | 'unplugged'
  | 'sequence'
> & { readonly events: readonly FixEvent[]; readonly flags: readonly FixFlag[] };

/** A status message of the tracker (`devices/{imei}/status`). */
export interface IntegrityStatus {
  state: 'online' | 'offline';
  receivedAt: number;
  deviceTime?: number;
  reason?: string;
}

export type IntegrityInput = { type: 'fix'; fix: IntegrityFix } | { type: 'status'; status: IntegrityStatus };

/** The nearest prohibited zone (water body, protected area, …) to a position, as the caller's index answers. */
export interface ProhibitedZoneNearby {
  zoneId: string;
  zoneName: string;
  /** 0 when the position is inside the zone. */
  distanceMeters: number;
}

/**
 * How the detectors ask about prohibited zones; the ingest implements it with the geofence index. It is
 * asked only when an alert's severity is judged (rarely), never for every fix.
 */
export interface ProhibitedZoneProximity {
  /** The nearest prohibited zone within `withinMeters` of the position, or undefined if none is that close. */
  nearestProhibitedZone(lat: number, lon: number, withinMeters: number): ProhibitedZoneNearby | undefined;
}

export interface IntegrityMachine {
  machineId: string;
  category: MachineCategory;
  /** The tracker's configured interval with ignition on, ms (registry: `interval_moving_seconds`). */
  reportingIntervalMs?: number;
  /** The tracker's configured interval with ignition off, ms (registry: `interval_ignition_off_seconds`). */
  reportingIntervalIgnitionOffMs?: number;
}

export interface IntegrityContext {
  /** The tracker whose stream this is (its IMEI or id, as the caller keys states). */
  deviceId: string;
  machine: IntegrityMachine;
  params: IntegrityParams;
  /** Declared windows of the machine that are not cancelled (any that overlap the recent past suffice). */
  windows: readonly DeclaredWindow[];
  zones: ProhibitedZoneProximity;
}

/** A fix quoted as evidence of an alert. */
export interface EvidenceFix {
  id?: string;
  deviceTime: number;
  receivedAt: number;
  lat: number;
  lon: number;
  speedKmh?: number;
  ignition?: boolean;
  hdop?: number;
  satellites?: number;
  externalVoltageV?: number;
  sequence?: number;
  events?: FixEvent[];
  flags?: FixFlag[];
}

export type DetailValue = number | string | boolean | null;
export type AlertDetails = Record<string, DetailValue>;

export interface Downgrade {
  windowId: string;
  windowKind: DeclaredWindowKind;
  /** Why, in Spanish (es-PE). */
  reason: string;
  reasonEn?: string;
}

export type IntegrityEventType = 'integrity_open' | 'integrity_update' | 'integrity_close';

export interface IntegrityEvent {
  type: IntegrityEventType;
  kind: IntegrityKind;
  /** `integrity.<kind>`, the rule id under which the alert is stored. */
  ruleId: string;
  /** Stable across the open, update and close events of one alert (`<deviceId>:integrity:<n>`). */
  alertId: string;
  machineId: string;
  deviceId: string;
  /** After any downgrade by a declared window. */
  severity: IntegritySeverity;
  /** What the detectors alone concluded, before any downgrade. */
  detectedSeverity: IntegritySeverity;
  /** Machine-readable reason, e.g. `power_cut_event`, `voltage_drop`, `teleport` (see docs/integrity.md). */
  cause: string;
  /** Event time: open, when the condition was established; update, the latest observation; close, when it ended. */
  at: number;
  /** Event time at which the condition started (went dark: the last fix before the silence). */
  since: number;
  /** Platform time at which this event was produced (arrival of the fix, or the sweep's `now`). */
  detectedAt: number;
  /** In Spanish (es-PE), as agencies read it. */
  description: string;
  descriptionEn: string;
  legalBasis: string;
  evidence: EvidenceFix[];
  details: AlertDetails;
  downgradedBy?: Downgrade;
  /**
   * The alert turned out not to hold (went dark: fixes from the tracker's buffer covered the whole gap).
   * Set on a close of an open alert, or on an update of an alert already closed.
   */
  retracted?: true;
}

export interface IntegrityResult<S> {
  state: S;
  events: IntegrityEvent[];
}

/** Converts a decoded status message to the detectors' input. */
export function fromDeviceStatus(status: DeviceStatus): IntegrityStatus {
  const out: IntegrityStatus = { state: status.state, receivedAt: status.receivedAt.getTime() };
  if (status.deviceTime) out.deviceTime = status.deviceTime.getTime();
  if (status.reason !== undefined) out.reason = status.reason;
  return out;
}

const POSITION_DOUBTS: ReadonlySet<FixFlag> = new Set(['null_island', 'out_of_range', 'no_gnss_fix']);

/** The fix names a real position (not 0/0, not off the Earth, not a "no GNSS fix" placeholder). */
export function hasUsablePosition(fix: IntegrityFix): boolean {
  return (
    Number.isFinite(fix.lat) &&
    Number.isFinite(fix.lon) &&
    !fix.flags.some((f) => POSITION_DOUBTS.has(f)) &&
    !(fix.lat === 0 && fix.lon === 0)
  );
}

export function evidenceOf(fix: IntegrityFix): EvidenceFix {
  const e: EvidenceFix = {
    deviceTime: fix.time,
    receivedAt: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
  };
  if (fix.id !== undefined) e.id = fix.id;
  if (fix.speedKmh !== undefined) e.speedKmh = fix.speedKmh;
  if (fix.ignition !== undefined) e.ignition = fix.ignition;
  if (fix.hdop !== undefined) e.hdop = fix.hdop;
  if (fix.satellites !== undefined) e.satellites = fix.satellites;
  if (fix.externalVoltageV !== undefined) e.externalVoltageV = fix.externalVoltageV;
  if (fix.sequence !== undefined) e.sequence = fix.sequence;
  if (fix.events.length > 0) e.events = [...fix.events];
  if (fix.flags.length > 0) e.flags = [...fix.flags];
  return e;
}
