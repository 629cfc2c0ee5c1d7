import { SampledZoneProximity, type ZonesAtPosition } from './zone-proximity';

/** A river 200 m wide running north–south through longitude -69.2 at latitude -12.6. */
const RIVER: ZonesAtPosition = {
  zonesAt: (_lat, lon) =>
    Math.abs((lon + 69.2) * 111_320 * Math.cos((12.6 * Math.PI) / 180)) <= 100
      ? [{ id: 'river', name: 'Río de prueba', kind: 'water_body' }]
      : [{ id: 'dep', name: 'MADRE DE DIOS', kind: 'jurisdiction' }],
};
const east = (meters: number) => -69.2 + meters / (111_320 * Math.cos((12.6 * Math.PI) / 180));

describe(SampledZoneProximity.name, () => {
  const proximity = new SampledZoneProximity(RIVER);

  it('answers 0 inside, the first ring touching the zone nearby, nothing beyond the limit', () => {
    expect(proximity.nearestProhibitedZone(-12.6, east(50), 500)).toEqual({
      zoneId: 'river',
      zoneName: 'Río de prueba',
      distanceMeters: 0,
    });
    const near = proximity.nearestProhibitedZone(-12.6, east(380), 500);
    expect(near?.distanceMeters).toBe(300);
    expect(proximity.nearestProhibitedZone(-12.6, east(380), 250)).toBeUndefined();
    expect(proximity.nearestProhibitedZone(-12.6, east(5_000), 1_000)).toBeUndefined();
  });

  it('counts only the prohibited kinds', () => {
    const jurisdiction = new SampledZoneProximity(RIVER, { kinds: ['protected_area'] });
    expect(jurisdiction.nearestProhibitedZone(-12.6, -69.2, 500)).toBeUndefined();
  });
});
