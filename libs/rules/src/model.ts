import type { ZoneKind } from '@app/geofence';
import type { DeclaredUse, MachineCategory } from '@app/registry';
import type { Fix as TrackerFix } from '@app/telemetry';

export type { ZoneKind, MachineCategory, DeclaredUse };

/** What the machine is doing at a fix (basic classification; see `classifyActivity`). */
export type Activity = 'operating' | 'transported' | 'idle';

export const ACTIVITIES: readonly Activity[] = ['operating', 'transported', 'idle'];

/**
 * One position report of a tracker as the rules read it: a view of `@app/telemetry`'s fix, with the same names
 * (times in epoch milliseconds supplied by the caller; `id` and `cell` set once the fix is stored).
 */
export type Fix = Pick<
  TrackerFix,
  | 'deviceId'
  | 'id'
  | 'time'
  | 'receivedAt'
  | 'lat'
  | 'lon'
  | 'speedKmh'
  | 'ignition'
  | 'hdop'
  | 'satellites'
  | 'towing'
  | 'cell'
> & {
  /** Zones at the fix when the caller already has them; skips the lookup for this fix. */
  zones?: readonly ZoneHit[];
};

/** What the rules need to know about a zone containing a position. */
export interface ZoneHit {
  id: string;
  kind: ZoneKind;
  name: string;
  legalBasis: string;
  /** Department name in upper case (INEI), for jurisdiction zones. */
  department?: string;
  /** Jurisdiction zones only, where the catalogue's layer has it. */
  province?: string;
  /** The source layer the zone was imported from (its `layer` property), or the authority publishing it. */
  layer?: string;
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
  /** `@app/registry`'s declared use; null (or absent): enrolled before uses were declared, unknown. */
  declaredUse?: DeclaredUse | null;
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
