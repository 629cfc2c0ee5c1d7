import type { ZoneLookup } from '@app/rules';

/** Where an alert is: the department and province of the jurisdiction zone at the position ingest decided on. */
export interface AlertPlace {
  readonly department: string | null;
  readonly province: string | null;
}

export const NOWHERE: AlertPlace = { department: null, province: null };

export function placeAt(
  lookup: Pick<ZoneLookup, 'zonesAt'>,
  position: { lat: number; lon: number } | undefined,
): AlertPlace {
  if (!position) return NOWHERE;
  for (const zone of lookup.zonesAt(position.lat, position.lon))
    if (zone.kind === 'jurisdiction' && zone.department)
      return { department: zone.department, province: zone.province ?? null };
  return NOWHERE;
}

/** The first fix with a position among a violation's confirming fixes. */
export function firstPositionOf(fixes: readonly unknown[]): { lat: number; lon: number } | undefined {
  for (const fix of fixes) {
    const candidate = fix as { lat?: unknown; lon?: unknown } | null;
    if (candidate && typeof candidate.lat === 'number' && typeof candidate.lon === 'number')
      return { lat: candidate.lat, lon: candidate.lon };
  }
  return undefined;
}
