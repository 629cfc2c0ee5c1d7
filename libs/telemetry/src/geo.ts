const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres (haversine on the mean Earth radius; ample for a speed plausibility check). */
export function distanceMeters(latA: number, lonA: number, latB: number, lonB: number): number {
  const toRad = Math.PI / 180;
  const dLat = (latB - latA) * toRad;
  const dLon = (lonB - lonA) * toRad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(latA * toRad) * Math.cos(latB * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** True when the coordinates name a point on Earth (WGS84 ranges); only such fixes can be placed in a cell. */
export function isOnEarth(lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}
