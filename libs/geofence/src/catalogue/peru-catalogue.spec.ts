import * as turf from '@turf/turf';
import { Geodesic } from 'geographiclib-geodesic';
import { readFileSync } from 'fs';
import { join } from 'path';
import type { FeatureCollection, MultiLineString, MultiPolygon, Polygon, Position } from 'geojson';
import { fixtureCatalogue, fixtureIndex } from '../../../../test/support/geofence-fixtures';
import type { ImportReport, Zone } from '../model';
import type { GeofenceIndex } from '../index/geofence-index';
import { defaultDataDir } from './default-catalogue';

/**
 * Differential test of the index over the real Peru catalogue against independent implementations:
 * turf's point-in-polygon for polygon zones and geographiclib's WGS84 geodesics for river buffers.
 *
 * Tolerance band: none for polygons (answers must be identical, boundary included); for river zones,
 * points whose reference distance is within 0.1 m of the buffer are not compared.
 */
const RIVER_BAND_M = 0.1;
/**
 * The reference answers (turf, geographiclib over every zone) take 5–30 s per test on a loaded 2-core machine and
 * about three times that with both cores busy; they wait for nothing, so the limit only guards against a hang.
 */
const REFERENCE_TIMEOUT_MS = 300_000;
const geod = Geodesic.WGS84;

function lines(z: Zone): Position[][] {
  const g = z.geometry;
  return g.type === 'LineString' ? [g.coordinates] : g.type === 'MultiLineString' ? g.coordinates : [];
}

function rings(z: Zone): Position[][] {
  const g = z.geometry;
  return g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? g.coordinates.flat() : [];
}

function geodesic(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return geod.Inverse(lat1, lon1, lat2, lon2).s12 as number;
}

/** Reference distance to a lon/lat-straight segment: ternary search on geodesic distances. */
function segmentDistance(px: number, py: number, a: Position, b: Position): number {
  const [ax, ay] = a as [number, number];
  const [bx, by] = b as [number, number];
  const f = (t: number): number => geodesic(py, px, ay + (by - ay) * t, ax + (bx - ax) * t);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (f(m1) < f(m2)) hi = m2;
    else lo = m1;
  }
  return Math.min(f((lo + hi) / 2), f(0), f(1));
}

/** Reference: minimal geodesic distance from the point to the zone's lines (only near segments). */
function riverDistance(z: Zone, px: number, py: number): number {
  const kx = 111320 * Math.cos((py * Math.PI) / 180);
  const ky = 110574;
  const limit = (z.bufferMeters ?? 0) + 100;
  let best = Infinity;
  for (const line of lines(z)) {
    for (let i = 0; i + 1 < line.length; i++) {
      const a = line[i] as Position;
      const b = line[i + 1] as Position;
      const dx = Math.max((a[0] as number) - px, px - (a[0] as number), 0);
      const minX = Math.min(a[0] as number, b[0] as number);
      const maxX = Math.max(a[0] as number, b[0] as number);
      const minY = Math.min(a[1] as number, b[1] as number);
      const maxY = Math.max(a[1] as number, b[1] as number);
      const gx = Math.max(minX - px, px - maxX, 0) * kx;
      const gy = Math.max(minY - py, py - maxY, 0) * ky;
      if (Math.hypot(gx, gy) > limit * 1.01 || dx < 0) continue;
      best = Math.min(best, segmentDistance(px, py, a, b));
    }
  }
  return best;
}

interface Probe {
  lon: number;
  lat: number;
  what: string;
}

describe('zone index over the real Peru catalogue (differential)', () => {
  let index: GeofenceIndex;
  let zones: readonly Zone[];
  let bboxes: number[][];
  const polygonZones: number[] = [];
  const riverZones: number[] = [];

  beforeAll(async () => {
    // Imported and indexed once per run by the global setup, with the code under test.
    const { catalogue } = fixtureCatalogue();
    index = await fixtureIndex();
    zones = catalogue.zones;
    bboxes = zones.map((z) => turf.bbox(z.geometry) as number[]);
    zones.forEach((z, i) => (z.bufferMeters !== undefined ? riverZones : polygonZones).push(i));
  });

  /** Reference ids, or null for a river zone inside the tolerance band. */
  function reference(p: Probe): { ids: string[]; banded: Set<string> } {
    const ids: string[] = [];
    const banded = new Set<string>();
    zones.forEach((z, i) => {
      const b = bboxes[i] as number[];
      const buf = z.bufferMeters ? z.bufferMeters / 100000 : 0;
      if (p.lon < (b[0] as number) - buf || p.lon > (b[2] as number) + buf || p.lat < (b[1] as number) - buf || p.lat > (b[3] as number) + buf) {
        return;
      }
      if (z.bufferMeters !== undefined) {
        const d = riverDistance(z, p.lon, p.lat);
        if (Math.abs(d - z.bufferMeters) <= RIVER_BAND_M) banded.add(z.id);
        else if (d <= z.bufferMeters) ids.push(z.id);
      } else if (turf.booleanPointInPolygon([p.lon, p.lat], z.geometry as Polygon | MultiPolygon)) {
        ids.push(z.id);
      }
    });
    return { ids: ids.sort(), banded };
  }

  function compare(probes: Probe[]): { compared: number; banded: number; mismatches: string[] } {
    const mismatches: string[] = [];
    let banded = 0;
    for (const p of probes) {
      const ref = reference(p);
      const mine = index.zoneIdsAt(p.lat, p.lon).filter((id) => !ref.banded.has(id));
      if (ref.banded.size) banded++;
      if (mine.join(',') !== ref.ids.join(',')) {
        mismatches.push(`${p.what} (${p.lon}, ${p.lat}): index [${mine.join(',')}] reference [${ref.ids.join(',')}]`);
      }
    }
    return { compared: probes.length, banded, mismatches };
  }

  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };

  it('agrees on uniformly random points over Peru', () => {
    const probes: Probe[] = [];
    for (let i = 0; i < 4000; i++) probes.push({ lon: -81.4 + random() * 13, lat: -18.4 + random() * 18.4, what: 'random' });
    const r = compare(probes);
    expect(r.mismatches).toEqual([]);
  }, REFERENCE_TIMEOUT_MS);

  it('agrees on vertices, points on edges and points just off edges of every polygon zone', () => {
    const probes: Probe[] = [];
    const jitters = [0, 1e-9, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3];
    for (const zi of polygonZones) {
      const rs = rings(zones[zi] as Zone);
      for (let k = 0; k < 5; k++) {
        const ring = rs[Math.floor(random() * rs.length)] as Position[];
        const j = Math.floor(random() * (ring.length - 1));
        const a = ring[j] as Position;
        const b = ring[j + 1] as Position;
        const t = k % 3 === 0 ? 0 : random();
        const e = (jitters[k % jitters.length] as number) * (random() < 0.5 ? -1 : 1);
        const f = (jitters[(k + 3) % jitters.length] as number) * (random() < 0.5 ? -1 : 1);
        probes.push({
          lon: (a[0] as number) + ((b[0] as number) - (a[0] as number)) * t + e,
          lat: (a[1] as number) + ((b[1] as number) - (a[1] as number)) * t + f,
          what: `near edge of ${zones[zi]?.id}`,
        });
      }
    }
    const r = compare(probes);
    expect(r.compared).toBeGreaterThan(3500);
    expect(r.mismatches).toEqual([]);
  }, REFERENCE_TIMEOUT_MS);

  it('agrees with WGS84 geodesic distances along rivers, just inside and outside their buffers', () => {
    const probes: Probe[] = [];
    for (const zi of riverZones) {
      const z = zones[zi] as Zone;
      const ls = lines(z);
      for (let k = 0; k < 24; k++) {
        const line = ls[Math.floor(random() * ls.length)] as Position[];
        const j = Math.floor(random() * (line.length - 1));
        const a = line[j] as Position;
        const b = line[j + 1] as Position;
        const t = random();
        const lon = (a[0] as number) + ((b[0] as number) - (a[0] as number)) * t;
        const lat = (a[1] as number) + ((b[1] as number) - (a[1] as number)) * t;
        const offsets = [0.5, 0.2, -0.2, -0.5, 3, -3, 50, -50];
        const d = (z.bufferMeters as number) + (offsets[k % offsets.length] as number) + (k % 16 < 8 ? 0 : (random() - 0.5) * 400);
        const azimuth = random() * 360;
        const dest = geod.Direct(lat, lon, azimuth, d);
        probes.push({ lon: dest.lon2 as number, lat: dest.lat2 as number, what: `river ${z.id} at ~${d.toFixed(1)} m` });
      }
    }
    const r = compare(probes);
    expect(r.compared).toBeGreaterThan(600);
    expect(r.mismatches).toEqual([]);
  }, REFERENCE_TIMEOUT_MS);

  it('agrees where machines actually work (mining detections in Madre de Dios and beyond)', () => {
    const fc = JSON.parse(readFileSync(join(defaultDataDir(), 'mining-detections-2019-2025.geojson'), 'utf8')) as FeatureCollection;
    const probes: Probe[] = fc.features.filter((_, i) => i % 3 === 0).map((f, i) => {
      const c = turf.centroid(f).geometry.coordinates;
      return { lon: c[0] as number, lat: c[1] as number, what: `detection ${i}` };
    });
    const r = compare(probes);
    expect(r.mismatches).toEqual([]);
  }, REFERENCE_TIMEOUT_MS);

  it('imports the default catalogue with stable ids, reporting every rejected or merged feature', () => {
    const { catalogue, report } = fixtureCatalogue();
    const ids = new Set(catalogue.zones.map((z) => z.id));
    for (const id of ['sernanp-rn09', 'sernanp-pn03', 'sernanp-za-rn09', 'ingemmet-ot000033', 'goremad-rio-madre', 'dep-17', 'ne-lago-lago-titicaca']) {
      expect(ids.has(id)).toBe(true);
    }
    const rn09 = catalogue.zones.find((z) => z.id === 'sernanp-rn09');
    expect(rn09).toMatchObject({ kind: 'protected_area', authority: 'SERNANP', code: 'RN09' });
    expect(rn09?.legalBasis).not.toBe('');
    const noGeometry = report.rejected.filter((r) => r.layer === 'native-communities-ucayali' && r.reason.startsWith('feature has no geometry'));
    expect(noGeometry).toHaveLength(20);
    expect(report.merged.find((m) => m.zoneId === 'sernanp-acp-tambopata-eco-lodge')?.features).toHaveLength(30);
    expect(report.repaired.some((r) => r.zoneId === 'goremad-rio-madre' && r.what.startsWith('river pieces joined'))).toBe(true);
    // Every source feature is accounted for: in a zone (merged or not) or rejected.
    expect(catalogue.zones.length + report.rejected.length).toBeGreaterThan(800);
  });

  it('puts every position in Peru in exactly one department, with its name for alert routing', () => {
    const lima = index.zonesAt(-12.0464, -77.0428).filter((z) => z.kind === 'jurisdiction');
    expect(lima.map((z) => z.properties?.department)).toEqual(['LIMA']);
    const puertoMaldonado = index.zonesAt(-12.5933, -69.1891).filter((z) => z.kind === 'jurisdiction');
    expect(puertoMaldonado.map((z) => z.properties?.department)).toEqual(['MADRE DE DIOS']);
  });
});

describe('river names of the regional layer, checked against the Natural Earth centerlines', () => {
  let index: GeofenceIndex;
  let zones: readonly Zone[];
  let report: ImportReport;
  const BOCA_COLORADO = { lat: -12.53, lon: -70.51 };
  const LABERINTO = { lat: -12.72, lon: -69.59 };

  beforeAll(async () => {
    const loaded = fixtureCatalogue();
    index = await fixtureIndex();
    zones = loaded.catalogue.zones;
    report = loaded.report;
  });

  const zone = (id: string) => zones.find((z) => z.id === id) as Zone;
  const regionalVerticesNear = (place: { lat: number; lon: number }, metres: number): Position[] =>
    zones
      .filter((z) => z.source?.layer === 'rivers-madre-de-dios')
      .flatMap((z) => lines(z).flat())
      .filter((p) => geodesic(place.lat, place.lon, p[1] as number, p[0] as number) <= metres);
  const waterNamesAt = (p: Position): string[] =>
    index
      .zonesAt(p[1] as number, p[0] as number)
      .filter((z) => z.kind === 'water_body')
      .map((z) => z.name);

  it('moves the "Manu" and "Inambari" pieces on the Madre de Dios to it, and reports each with its evidence', () => {
    const corrected = report.names.filter((n) => n.action === 'corrected');
    expect(corrected.map((n) => [n.name, n.zoneId, n.shownAs]).sort()).toEqual([
      ['Río Inambari', 'goremad-rio-madre', 'Río Madre de Dios'],
      ['Río Manu', 'goremad-rio-madre', 'Río Madre de Dios'],
    ]);
    for (const entry of report.names) {
      expect(entry).toMatchObject({
        layer: 'rivers-madre-de-dios',
        secondSource: { layer: 'rivers-natural-earth-10m', name: 'Madre de Dios' },
      });
      expect(entry.evidence).toMatch(/within 3000 m of "Madre de Dios"/);
    }
    const madre = zone('goremad-rio-madre');
    expect(madre.name).toBe('Río Madre de Dios');
    expect(
      madre.source?.features
        .filter((f) => f.nameCheck === 'corrected')
        .map((f) => f.name)
        .sort(),
    ).toEqual(['Río Inambari', 'Río Manu']);
  });

  it('keeps the Manu upstream of Boca Manu, which Natural Earth draws as its "Madre de Dios", and the Tambopata', () => {
    expect(zone('goremad-rio-manu').name).toBe('Río Manu');
    // Piece 70 of the published Manu, near 11.63° S 71.94° W, lies along Natural Earth's "Madre de Dios" and
    // stays the Manu; so does the lower Manu just above Boca Manu (piece 105).
    const published = JSON.parse(
      readFileSync(join(defaultDataDir(), 'rivers-madre-de-dios.geojson'), 'utf8'),
    ) as FeatureCollection<MultiLineString>;
    const manu = published.features[4];
    expect(manu?.properties?.nombre).toBe('Río Manu');
    for (const piece of [70, 105]) {
      const [lon, lat] = manu?.geometry.coordinates[piece]?.[1] as Position;
      expect(index.zonesAt(lat as number, lon as number).map((z) => z.name)).toContain('Río Manu');
      expect(zone('goremad-rio-manu').source?.features[0]?.pieces).toContain(piece);
    }
    expect(
      report.names.some(
        (n) => n.name === 'Río Tambopata' || n.name === 'Río Las Piedras' || n.name === 'Río Heath',
      ),
    ).toBe(false);
  });

  it('names the pieces it cannot settle as unverified water bodies near the Madre de Dios, keeping the published name', () => {
    const unverified = zones.filter((z) => z.properties?.nameCheck === 'unverified');
    expect(unverified.length).toBeGreaterThan(0);
    for (const z of unverified) {
      expect(z.name).toBe('cuerpo de agua de la capa regional de ríos, cerca del Río Madre de Dios');
      expect(['Río Manu', 'Río Inambari']).toContain(z.properties?.publishedName);
      expect(
        z.source?.features.every(
          (f) => f.nameCheck === 'unverified' && f.name === z.properties?.publishedName,
        ),
      ).toBe(true);
    }
  });

  it('near Boca Colorado, where the demo dredge works, every regional river piece is named the Madre de Dios', () => {
    const vertices = regionalVerticesNear(BOCA_COLORADO, 15_000);
    expect(vertices.length).toBeGreaterThan(50);
    for (const p of vertices) {
      const names = waterNamesAt(p);
      expect(names).not.toContain('Río Manu');
      expect(names.some((n) => n === 'Río Madre de Dios' || n.endsWith('cerca del Río Madre de Dios'))).toBe(
        true,
      );
    }
  });

  it('near Laberinto no river piece is named the Inambari, whose mouth this layer draws 17 km upstream', () => {
    const vertices = regionalVerticesNear(LABERINTO, 10_000);
    expect(vertices.length).toBeGreaterThan(50);
    for (const p of vertices) expect(waterNamesAt(p)).not.toContain('Río Inambari');
  });
});
