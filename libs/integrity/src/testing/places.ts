import type { ProhibitedZoneNearby, ProhibitedZoneProximity } from '../model';

export interface Place {
  lat: number;
  lon: number;
}

/**
 * Real places of Madre de Dios and Loreto used by the scenarios (coordinates rounded; rivers as their
 * centrelines near the place, for distances).
 */
export const PLACES = {
  /** Laberinto: the river port, 350 m south of the Río Madre de Dios centreline, and the town, 1.3 km south. */
  laberintoPort: { lat: -12.7172, lon: -69.5866 },
  laberintoTown: { lat: -12.7262, lon: -69.5888 },
  /** On the Río Madre de Dios downstream of Boca Colorado, inside the mining corridor. */
  bocaColoradoRiver: { lat: -12.60487, lon: -70.27129 },
  /** Dry land 900 m south of it. */
  bocaColoradoSouthBank: { lat: -12.61301, lon: -70.27128 },
  /** Inside Reserva Nacional Tambopata, 1.5 km from its south-western edge. */
  tambopataInside: { lat: -13.080207, lon: -70.046726 },
  /** La Pampa, on the Interoceanic highway (km 108), and Puerto Maldonado, 100 km east along it. */
  laPampa: { lat: -12.9744, lon: -69.9919 },
  puertoMaldonado: { lat: -12.5933, lon: -69.1891 },
  /** Mazuko, on the Interoceanic 45 km west of La Pampa. */
  mazuko: { lat: -13.0967, lon: -70.3756 },
  /** On the Río Nanay near Iquitos (Loreto), and the Nanay's north bank 1.2 km away. */
  nanayRiver: { lat: -3.7125, lon: -73.2742 },
  nanayNorthBank: { lat: -3.7016, lon: -73.2742 },
  /** Iquitos, Plaza de Armas. */
  iquitos: { lat: -3.7491, lon: -73.2538 },
} as const satisfies Record<string, Place>;

interface ZoneShape {
  zoneId: string;
  zoneName: string;
  /** A river as its centreline with a half-width, or an area as a polygon ring. */
  line?: readonly Place[];
  halfWidthMeters?: number;
  ring?: readonly Place[];
}

/** Prohibited zones near the places above, approximated by centrelines and rings. */
export const PROHIBITED_ZONES: readonly ZoneShape[] = [
  {
    zoneId: 'goremad-rio-madre-de-dios',
    zoneName: 'Río Madre de Dios',
    line: [
      { lat: -12.7065, lon: -69.62 },
      { lat: -12.7125, lon: -69.595 },
      { lat: -12.7155, lon: -69.578 },
      { lat: -12.714, lon: -69.56 },
    ],
    halfWidthMeters: 150,
  },
  {
    zoneId: 'goremad-rio-madre-de-dios',
    zoneName: 'Río Madre de Dios',
    line: [
      { lat: -12.6049, lon: -70.3 },
      { lat: -12.6049, lon: -70.2713 },
      { lat: -12.603, lon: -70.24 },
    ],
    halfWidthMeters: 200,
  },
  {
    zoneId: 'sernanp-rn-tambopata',
    zoneName: 'Reserva Nacional Tambopata',
    ring: [
      { lat: -13.4, lon: -70.06 },
      { lat: -13.4, lon: -69.4 },
      { lat: -13.06, lon: -69.4 },
      { lat: -13.06, lon: -70.06 },
    ],
  },
  {
    zoneId: 'ana-rio-nanay',
    zoneName: 'Río Nanay',
    line: [
      { lat: -3.69, lon: -73.32 },
      { lat: -3.705, lon: -73.295 },
      { lat: -3.7125, lon: -73.2742 },
      { lat: -3.728, lon: -73.26 },
    ],
    halfWidthMeters: 120,
  },
];

const M_PER_DEG = 111_320;

function toXY(p: Place, at: Place): [number, number] {
  return [(p.lon - at.lon) * M_PER_DEG * Math.cos((at.lat * Math.PI) / 180), (p.lat - at.lat) * M_PER_DEG];
}

function segmentDistance(a: [number, number], b: [number, number]): number {
  const [ax, ay] = a;
  const [bx, by] = b;
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len));
  return Math.hypot(ax + t * dx, ay + t * dy);
}

function inside(ring: readonly [number, number][]): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > 0 !== yj > 0 && 0 < ((xj - xi) * (0 - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

function distanceTo(zone: ZoneShape, at: Place): number {
  if (zone.line) {
    const pts = zone.line.map((p) => toXY(p, at));
    let d = Infinity;
    for (let i = 1; i < pts.length; i++)
      d = Math.min(d, segmentDistance(pts[i - 1] as [number, number], pts[i] as [number, number]));
    return Math.max(0, d - (zone.halfWidthMeters ?? 0));
  }
  const ring = (zone.ring ?? []).map((p) => toXY(p, at));
  if (inside(ring)) return 0;
  let d = Infinity;
  for (let i = 0; i < ring.length; i++)
    d = Math.min(
      d,
      segmentDistance(ring[i] as [number, number], ring[(i + 1) % ring.length] as [number, number]),
    );
  return d;
}

/** The test stand-in for the geofence index: distances to `PROHIBITED_ZONES`. Counts its questions. */
export class ShapeProximity implements ProhibitedZoneProximity {
  questions = 0;

  constructor(private readonly zones: readonly ZoneShape[] = PROHIBITED_ZONES) {}

  nearestProhibitedZone(lat: number, lon: number, withinMeters: number): ProhibitedZoneNearby | undefined {
    this.questions++;
    let best: ProhibitedZoneNearby | undefined;
    for (const z of this.zones) {
      const d = distanceTo(z, { lat, lon });
      if (d <= withinMeters && (!best || d < best.distanceMeters))
        best = { zoneId: z.zoneId, zoneName: z.zoneName, distanceMeters: d };
    }
    return best;
  }
}

/** The point a fraction `f` of the way from a to b. */
export function between(a: Place, b: Place, f: number): Place {
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
}

/** A place moved by metres north and east. */
export function offset(p: Place, northMeters: number, eastMeters: number): Place {
  return {
    lat: p.lat + northMeters / M_PER_DEG,
    lon: p.lon + eastMeters / (M_PER_DEG * Math.cos((p.lat * Math.PI) / 180)),
  };
}
