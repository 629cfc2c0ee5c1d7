/**
 * Streaming-rules benchmark: 10,000 devices in Madre de Dios, one core. Measures fixes/s through the
 * full `step` (zone lookup on the real H3 index, rules, hysteresis, crossing sampling), the same with
 * the zones precomputed, the same with 5% of the fixes arriving late, the same with the state going
 * through JSON at every fix (as when it lives in Redis), the bare zone lookup as a ceiling, and a naive
 * peer (turf point-in-polygon / point-to-line over the zones of the region) on a subsample. Usage:
 *   npm run bench:stream [-- --devices 10000 --fixes 60 --runs 3 --json-devices 1000 --naive-devices 30]
 */
import * as turf from '@turf/turf';
import type { FeatureCollection, MultiLineString, MultiPolygon, Polygon, Position } from 'geojson';
import { readFileSync } from 'fs';
import { join } from 'path';
import { cpus } from 'os';
import { defaultCacheDir, defaultDataDir, loadDefaultCatalogue, loadIndex, type Zone } from '@app/geofence';
import {
  DEFAULT_STREAM_PARAMS,
  GeofenceZoneLookup,
  RuleSet,
  initialState,
  step,
  zoneHit,
  type DeviceState,
  type Fix,
  type MachineCategory,
  type StepContext,
  type ZoneHit,
  type ZoneLookup,
} from '@app/rules';
import { numberArg } from '../support';

const DEVICES = numberArg('devices', 10_000);
const FIXES = numberArg('fixes', 60);
const RUNS = numberArg('runs', 3);
const NAIVE_DEVICES = numberArg('naive-devices', 30);
const JSON_DEVICES = numberArg('json-devices', 1_000);
const EVERY_MS = 30_000;
const T0 = Date.UTC(2026, 10, 22, 6, 0, 0);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Device {
  id: string;
  category: MachineCategory;
  fixes: Fix[];
}

/**
 * Excavators start on real mined land in Madre de Dios (Amazon Mining Watch detections), dredges on
 * the vertices of the region's rivers; each walks at 0.5–4 km/h with a turning heading, one fix
 * every 30 s, HDOP 0.8–4, ignition mostly on; one device in ten is carried at road speed for a while.
 */
function makeDevices(n: number, zones: readonly Zone[]): Device[] {
  const rnd = mulberry32(20261122);
  const detections = JSON.parse(
    readFileSync(join(defaultDataDir(), 'mining-detections-2019-2025.geojson'), 'utf8'),
  ) as FeatureCollection;
  const sites: Position[] = detections.features
    .filter((f) => f.properties?.departamento === 'MADRE DE DIOS')
    .map((f) => turf.centroid(f).geometry.coordinates);
  const riverVertices: Position[] = zones
    .filter((z) => z.id.startsWith('goremad-rio-'))
    .flatMap((z) => (z.geometry as MultiLineString).coordinates.flat());
  const devices: Device[] = [];
  for (let d = 0; d < n; d++) {
    const dredge = d % 5 === 0;
    const start = (dredge ? riverVertices : sites)[
      Math.floor(rnd() * (dredge ? riverVertices.length : sites.length))
    ] as Position;
    let lon = start[0] as number;
    let lat = start[1] as number;
    let heading = rnd() * 2 * Math.PI;
    const carried = d % 10 === 3;
    const fixes: Fix[] = [];
    for (let i = 0; i < FIXES; i++) {
      const onTruck = carried && i > FIXES / 3 && i < FIXES / 2;
      const speedKmh = onTruck ? 35 + rnd() * 20 : 0.5 + rnd() * 3.5;
      heading += (rnd() - 0.5) * 0.8;
      const metres = (speedKmh / 3.6) * (EVERY_MS / 1000);
      lat += (Math.cos(heading) * metres) / 110_600;
      lon += (Math.sin(heading) * metres) / 108_600;
      const time = T0 + i * EVERY_MS;
      fixes.push({
        deviceId: `dev-${d}`,
        time,
        receivedAt: time + 1_500,
        lat,
        lon,
        speedKmh,
        ignition: rnd() > 0.1,
        hdop: 0.8 + rnd() * rnd() * 3.2,
        satellites: 5 + Math.floor(rnd() * 8),
      });
    }
    devices.push({ id: `dev-${d}`, category: dredge ? 'dredge' : 'excavator', fixes });
  }
  return devices;
}

/** Round-robin over devices, as a broker delivers many devices' fixes. */
function arrivalStream(devices: readonly Device[], lateShare = 0): Fix[] {
  const out: Fix[] = [];
  const rnd = mulberry32(7);
  const held: Fix[][] = devices.map(() => []);
  for (let i = 0; i < FIXES; i++) {
    devices.forEach((d, k) => {
      const fix = d.fixes[i] as Fix;
      const queue = held[k] as Fix[];
      if (lateShare > 0 && rnd() < lateShare && i < FIXES - 6) {
        queue.push(fix);
        return;
      }
      out.push(fix);
      if (queue.length > 0 && rnd() < 0.2) {
        for (const late of queue.splice(0)) out.push({ ...late, receivedAt: fix.receivedAt });
      }
    });
  }
  held.forEach((queue) => out.push(...queue));
  return out;
}

/** Naive peer: every zone of the region tested with turf (bbox prefilter, then the exact test). */
class TurfLookup implements ZoneLookup {
  readonly catalogueVersion: string;
  private readonly boxes: number[][];
  private readonly hits: ZoneHit[];
  private readonly byId: Map<string, ZoneHit>;

  constructor(
    private readonly zones: readonly Zone[],
    version: string,
  ) {
    this.catalogueVersion = version;
    this.boxes = zones.map((z) => {
      const [x0, y0, x1, y1] = turf.bbox(z.geometry);
      const pad = (z.bufferMeters ?? 0) / 100_000;
      return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
    });
    this.hits = zones.map(zoneHit);
    this.byId = new Map(this.hits.map((h) => [h.id, h]));
  }

  zonesAt(lat: number, lon: number): readonly ZoneHit[] {
    const out: ZoneHit[] = [];
    const point = turf.point([lon, lat]);
    this.zones.forEach((z, i) => {
      const [x0, y0, x1, y1] = this.boxes[i] as number[];
      if (lon < (x0 as number) || lon > (x1 as number) || lat < (y0 as number) || lat > (y1 as number))
        return;
      const g = z.geometry;
      let inside: boolean;
      if (g.type === 'Polygon' || g.type === 'MultiPolygon')
        inside = turf.booleanPointInPolygon(point, g as Polygon | MultiPolygon);
      else {
        const lines = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
        inside = lines.some(
          (line) =>
            turf.pointToLineDistance(point, turf.lineString(line), { units: 'meters' }) <=
            (z.bufferMeters ?? 0),
        );
      }
      if (inside) out.push(this.hits[i] as ZoneHit);
    });
    return out;
  }

  zone(id: string): ZoneHit | undefined {
    return this.byId.get(id);
  }
}

interface Measure {
  fixes: number;
  events: number;
  verdicts: number;
  ms: number;
}

function runStream(fixes: readonly Fix[], contexts: Map<string, StepContext>, roundTrip = false): Measure {
  const states = new Map<string, DeviceState | string>();
  let events = 0;
  let verdicts = 0;
  const t = process.hrtime.bigint();
  for (const fix of fixes) {
    const ctx = contexts.get(fix.deviceId) as StepContext;
    const stored = states.get(fix.deviceId);
    const state =
      stored === undefined
        ? initialState(fix.deviceId)
        : typeof stored === 'string'
          ? (JSON.parse(stored) as DeviceState)
          : stored;
    const r = step(state, fix, ctx);
    states.set(fix.deviceId, roundTrip ? JSON.stringify(r.state) : r.state);
    events += r.events.length;
    for (const e of r.events)
      if (e.type === 'verdict_open' || (e.type === 'crossing' && e.verdicts.length > 0)) verdicts++;
  }
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { fixes: fixes.length, events, verdicts, ms };
}

function best(fn: () => Measure): Measure {
  let result: Measure | undefined;
  for (let r = 0; r < RUNS; r++) {
    const m = fn();
    if (!result || m.ms < result.ms) result = m;
  }
  return result as Measure;
}

const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;

async function main(): Promise<void> {
  console.log(
    `stream benchmark — Node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, one thread`,
  );
  const { catalogue } = loadDefaultCatalogue();
  const { index } = await loadIndex(catalogue, { cacheDir: defaultCacheDir() });
  const lookup = new GeofenceZoneLookup(index);
  console.log(`catalogue ${catalogue.version}: ${catalogue.zones.length} zones`);

  const devices = makeDevices(DEVICES, catalogue.zones);
  const rules = new RuleSet();
  const params = DEFAULT_STREAM_PARAMS;
  const contexts = new Map<string, StepContext>(
    devices.map((d) => [
      d.id,
      { machine: { machineId: `m-${d.id}`, category: d.category }, lookup, rules, params },
    ]),
  );
  const stream = arrivalStream(devices);
  console.log(
    `${DEVICES.toLocaleString('en-US')} devices × ${FIXES} fixes = ${stream.length.toLocaleString('en-US')} fixes, best of ${RUNS}`,
  );

  const lines: [string, Measure][] = [];
  const full = best(() => runStream(stream, contexts));
  lines.push(['full step (zone lookup on the H3 index)', full]);

  const late = arrivalStream(devices, 0.05);
  lines.push(['full step, 5% of fixes late (replayed)', best(() => runStream(late, contexts))]);

  const jsonStream = arrivalStream(devices.slice(0, JSON_DEVICES));
  lines.push([
    `full step, state through JSON at every fix (${JSON_DEVICES} devices)`,
    runStream(jsonStream, contexts, true),
  ]);

  let check = 0;
  const bare = best(() => {
    const t = process.hrtime.bigint();
    for (const f of stream) check += lookup.zonesAt(f.lat, f.lon).length;
    return { fixes: stream.length, events: 0, verdicts: 0, ms: Number(process.hrtime.bigint() - t) / 1e6 };
  });
  lines.push(['bare zone lookup (ceiling)', bare]);

  const region = turf.bbox(turf.lineString(stream.map((f) => [f.lon, f.lat])));
  const regional = catalogue.zones.filter((z) => {
    const [x0, y0, x1, y1] = turf.bbox(z.geometry);
    return (
      x1 >= (region[0] as number) &&
      x0 <= (region[2] as number) &&
      y1 >= (region[1] as number) &&
      y0 <= (region[3] as number)
    );
  });
  const naiveLookup = new TurfLookup(regional, catalogue.version);
  const naiveDevices = devices.slice(0, NAIVE_DEVICES);
  const naiveContexts = new Map<string, StepContext>(
    naiveDevices.map((d) => [d.id, { ...(contexts.get(d.id) as StepContext), lookup: naiveLookup }]),
  );
  const naive = runStream(arrivalStream(naiveDevices), naiveContexts);
  lines.push([
    `naive peer: same step, turf over the ${regional.length} zones of the region (${NAIVE_DEVICES} devices)`,
    naive,
  ]);

  // Last: the zones are attached to the fixes themselves (no copies), so any later run would skip the lookup.
  for (const f of stream) f.zones = lookup.zonesAt(f.lat, f.lon);
  lines.push([
    'step with zones precomputed (lookups on crossing samples remain)',
    best(() => runStream(stream, contexts)),
  ]);

  for (const [name, m] of lines) {
    const extra =
      m.events > 0
        ? `; ${m.events.toLocaleString('en-US')} events, ${m.verdicts.toLocaleString('en-US')} verdicts opened`
        : '';
    console.log(
      `${name.padEnd(84)} ${rate(m.fixes, m.ms).padStart(12)} fixes (${m.ms.toFixed(0)} ms${extra})`,
    );
  }
  console.log(
    `full step vs naive peer: ×${(full.fixes / full.ms / (naive.fixes / naive.ms)).toFixed(1)}; full step / bare lookup: ${((bare.ms / bare.fixes / (full.ms / full.fixes)) * 100).toFixed(0)}%`,
  );

  const finalStates = new Map<string, DeviceState>();
  for (const fix of stream) {
    const r = step(finalStates.get(fix.deviceId), fix, contexts.get(fix.deviceId) as StepContext);
    finalStates.set(fix.deviceId, r.state);
  }
  let bytes = 0;
  for (const s of finalStates.values()) bytes += JSON.stringify(s).length;
  console.log(
    `device state as JSON after ${FIXES} fixes: ${Math.round(bytes / finalStates.size).toLocaleString('en-US')} bytes on average (lookup check ${check})`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
