import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import {
  Catalogue,
  defaultDataDir,
  loadDefaultCatalogue,
  type DefaultCatalogueOptions,
  Zone,
} from '@app/geofence';
import { bearingDeg, destination, distanceM, insidePolygon, LatLon, ringCentre } from './geo';

/** Zones of the default catalogue the scenarios are about. */
export const ZONES = {
  tambopata: 'sernanp-rn09',
  tambopataBuffer: 'sernanp-za-rn09',
  corridor: 'ingemmet-ot000033',
  madreDeDios: 'goremad-rio-madre',
  amazonas: 'ne-rio-amazonas',
  maranon: 'ne-rio-maranon',
  ucayali: 'ne-rio-ucayali',
} as const;

/** Rivers where dredges work. */
export const DREDGE_RIVERS = [ZONES.madreDeDios, ZONES.amazonas, ZONES.maranon, ZONES.ucayali] as const;

/** Named places (approximate town centres, WGS84). */
export const TOWNS = {
  puertoMaldonado: { lat: -12.5933, lon: -69.1891 },
  bocaColorado: { lat: -12.53, lon: -70.51 },
  laberinto: { lat: -12.72, lon: -69.59 },
  mazuko: { lat: -13.095, lon: -70.37 },
} as const satisfies Record<string, LatLon>;

/**
 * The Interoceanic highway (IIRSA Sur) from Puerto Maldonado to Mazuko, by way of La Pampa, where it runs
 * through the buffer zone of the Tambopata National Reserve. Waypoints follow the road at a few kilometres.
 */
export const INTEROCEANICA: readonly LatLon[] = [
  TOWNS.puertoMaldonado,
  { lat: -12.66, lon: -69.3 },
  { lat: -12.75, lon: -69.45 },
  { lat: -12.82, lon: -69.6 },
  { lat: -12.88, lon: -69.76 },
  { lat: -12.935, lon: -69.97 },
  { lat: -12.97, lon: -70.08 },
  { lat: -13.02, lon: -70.17 },
  { lat: -13.06, lon: -70.28 },
  TOWNS.mazuko,
];

export interface MiningSite extends LatLon {
  readonly department: string;
  readonly period: string;
  readonly areaHa: number;
}

export interface Crossing {
  /** Outside the zone, `approachM` from the boundary. */
  readonly outside: LatLon;
  /** A vertex of the zone's boundary. */
  readonly boundary: LatLon;
  /** Inside the zone, `penetrationM` from the boundary. */
  readonly inside: LatLon;
}

/** Real places from data/peru: the zone catalogue and the mining detections. */
export class Places {
  private readonly zones: Map<string, Zone>;

  constructor(
    readonly catalogue: Catalogue,
    readonly miningSites: readonly MiningSite[],
  ) {
    this.zones = new Map(catalogue.zones.map((z) => [z.id, z]));
  }

  zone(id: string): Zone {
    const zone = this.zones.get(id);
    if (!zone) throw new Error(`zone ${id} is not in the catalogue`);
    return zone;
  }

  /** Mining detections whose centre lies in a department (upper case, as INEI writes it). */
  miningSitesIn(department: string): MiningSite[] {
    return this.miningSites.filter((s) => s.department === department);
  }

  /** Whether a point is inside a polygon zone (plain ray casting, no buffer). */
  insideZone(id: string, point: LatLon): boolean {
    return polygonsOf(this.zone(id)).some((rings) => insidePolygon(point, rings));
  }

  /** The parts of a line zone (a river), each its vertices in order. */
  lineParts(id: string): LatLon[][] {
    const g = this.zone(id).geometry;
    const lines: Position[][] =
      g.type === 'LineString' ? [g.coordinates] : g.type === 'MultiLineString' ? g.coordinates : [];
    if (lines.length === 0) throw new Error(`zone ${id} is not a line`);
    return lines.map((line) => line.map((p) => ({ lon: p[0] as number, lat: p[1] as number })));
  }

  /** The vertices of a line zone, all parts concatenated (not a path: parts are not joined). */
  lineVertices(id: string): LatLon[] {
    return this.lineParts(id).flat();
  }

  /** Index of the vertex of a line zone nearest to `anchor`. */
  nearestLineVertex(id: string, anchor: LatLon): number {
    const vertices = this.lineVertices(id);
    let best = 0;
    let bestDistance = Infinity;
    vertices.forEach((v, i) => {
      const d = distanceM(v, anchor);
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    });
    return best;
  }

  /**
   * A point `sideM` to the side of a river at its vertex nearest `anchor`, with `upstream` further vertices
   * along the river from there (the way a dredge then moves on the water).
   */
  riverside(id: string, anchor: LatLon, sideM: number, along = 3): { bank: LatLon; onRiver: LatLon[] } {
    const vertices = this.lineVertices(id);
    const i = Math.min(this.nearestLineVertex(id, anchor), vertices.length - 2);
    const here = vertices[i] as LatLon;
    const next = vertices[i + 1] as LatLon;
    const bank = destination(here, (bearingDeg(here, next) + 90) % 360, sideM);
    const onRiver = vertices.slice(i, Math.min(vertices.length, i + 1 + along));
    return { bank, onRiver };
  }

  /** A way across the boundary of a polygon zone near `anchor`. */
  crossing(id: string, anchor: LatLon, approachM = 1500, penetrationM = 1500): Crossing {
    const rings = polygonsOf(this.zone(id)).map((rings) => rings[0] as Position[]);
    const vertices = rings.flat().map((p) => ({ lon: p[0] as number, lat: p[1] as number }));
    vertices.sort((a, b) => distanceM(a, anchor) - distanceM(b, anchor));
    for (const boundary of vertices.slice(0, 50)) {
      for (let bearing = 0; bearing < 360; bearing += 15) {
        const outside = destination(boundary, bearing, approachM);
        const inside = destination(boundary, (bearing + 180) % 360, penetrationM);
        const outsideHalf = destination(boundary, bearing, approachM / 2);
        const insideHalf = destination(boundary, (bearing + 180) % 360, penetrationM / 2);
        if (
          !this.insideZone(id, outside) &&
          !this.insideZone(id, outsideHalf) &&
          this.insideZone(id, inside) &&
          this.insideZone(id, insideHalf)
        ) {
          return { outside, boundary, inside };
        }
      }
    }
    throw new Error(`no clean crossing of ${id} near ${anchor.lat}, ${anchor.lon}`);
  }

  /** The department (upper case, as INEI writes it) a point lies in, from the jurisdiction zones. */
  departmentAt(point: LatLon): string | undefined {
    const zone = this.catalogue.zones.find((z) => z.kind === 'jurisdiction' && this.insideZone(z.id, point));
    return zone?.name;
  }

  /** A mining detection inside a polygon zone, nearest to `anchor`. */
  miningSiteInside(id: string, anchor: LatLon): MiningSite {
    const inside = this.miningSites.filter((s) => this.insideZone(id, s));
    if (inside.length === 0) throw new Error(`no mining detection inside ${id}`);
    inside.sort((a, b) => distanceM(a, anchor) - distanceM(b, anchor));
    return inside[0] as MiningSite;
  }
}

function polygonsOf(zone: Zone): Position[][][] {
  const g = zone.geometry;
  if (g.type === 'Polygon') return [g.coordinates];
  if (g.type === 'MultiPolygon') return g.coordinates;
  throw new Error(`zone ${zone.id} is not a polygon`);
}

/** Mining detections 2019–2025 (data/peru/mining-detections-2019-2025.geojson): the centre of each polygon. */
export function loadMiningSites(dataDir = defaultDataDir()): MiningSite[] {
  const fc = JSON.parse(
    readFileSync(join(dataDir, 'mining-detections-2019-2025.geojson'), 'utf8'),
  ) as FeatureCollection<Geometry>;
  const sites: MiningSite[] = [];
  for (const feature of fc.features as Feature<Geometry>[]) {
    const g = feature.geometry;
    const ring =
      g.type === 'Polygon' ? g.coordinates[0] : g.type === 'MultiPolygon' ? g.coordinates[0]?.[0] : undefined;
    if (!ring || ring.length < 3) continue;
    const props = feature.properties ?? {};
    sites.push({
      ...ringCentre(ring),
      department: String(props['departamento'] ?? ''),
      period: String(props['period'] ?? ''),
      areaHa: Number(props['polygon_area_ha'] ?? 0),
    });
  }
  return sites;
}

let cached: Places | undefined;

/** The default catalogue and the mining detections, loaded once per process (with the first caller's options). */
export function loadPlaces(options: DefaultCatalogueOptions = {}): Places {
  cached ??= new Places(loadDefaultCatalogue(options).catalogue, loadMiningSites(options.dataDir));
  return cached;
}
