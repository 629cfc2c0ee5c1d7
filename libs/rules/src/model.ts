import type { ZoneKind } from '@app/geofence';
import type { MachineCategory } from '@app/registry';

export type { ZoneKind, MachineCategory };

/** What the machine is doing at a fix (basic classification; see `classifyActivity`). */
export type Activity = 'operating' | 'transported' | 'idle';

export const ACTIVITIES: readonly Activity[] = ['operating', 'transported', 'idle'];

/** One position report of a tracker. All times are epoch milliseconds supplied by the caller. */
export interface Fix {
  deviceId: string;
  /** Identifier of the stored position, copied into the evidence of events. */
  id?: string;
  /** When the tracker took the fix (event time). */
  time: number;
  /** When the platform received it; `receivedAt - time` is the delivery delay. */
  receivedAt: number;
  lat: number;
  lon: number;
  speedKmh?: number;
  ignition?: boolean;
  hdop?: number;
  satellites?: number;
  /** The tracker (or a declared transport) says the machine is being carried or towed. */
  towed?: boolean;
  /** The fix's stored H3 cell, passed through to the zone lookup. */
  cell?: string;
  /** Zones at the fix when the caller already has them; skips the lookup for this fix. */
  zones?: readonly ZoneHit[];
}

/** What the rules need to know about a zone containing a position. */
export interface ZoneHit {
  id: string;
  kind: ZoneKind;
  name: string;
  legalBasis: string;
  /** Department name in upper case (INEI), for jurisdiction zones. */
  department?: string;
}

/** The zone index as the rules see it. */
export interface ZoneLookup {
  readonly catalogueVersion: string;
  /** Every zone containing the position; the array must not be modified. */
  zonesAt(lat: number, lon: number, cell?: string): readonly ZoneHit[];
  zone(id: string): ZoneHit | undefined;
}

export interface MachineProfile {
  machineId: string;
  category: MachineCategory;
}

export type Verdict = 'violation' | 'warning';

/** A fix quoted as evidence. */
export interface FixRef {
  id?: string;
  time: number;
  receivedAt: number;
  lat: number;
  lon: number;
  hdop?: number;
}
