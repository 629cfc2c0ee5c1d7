import type { FixEvent } from '@app/telemetry';
import type { MachineCategory } from '@app/registry';
import { Encoding, TickInput } from './firmware';
import { LatLon } from './geo';
import { Places, TOWNS, INTEROCEANICA, ZONES } from './places';
import { Random } from './random';
import { alongPath, atWork, SPEEDS, standing, TruePoint, withGpsNoise } from './track';

export const SCENARIO_NAMES = [
  'dredge-onto-river',
  'excavator-enters-tambopata',
  'legal-corridor-work',
  'truck-interoceanica',
  'dark-near-river',
  'power-cut',
  'spoofed-jump',
  'boundary-jitter',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  readonly category: MachineCategory;
  readonly encoding: Encoding;
  readonly intervalS: number;
  /** The zone the scenario is about. */
  readonly zoneId: string;
  /** One entry per tick, oldest first; the last tick is at the scenario's end time. */
  readonly steps: readonly TickInput[];
}

export interface ScenarioOptions {
  readonly seed?: number;
  /** Time of the last tick (ms since 1970); default now, so every fix is in the past. */
  readonly endMs?: number;
}

/** A stretch of the timeline in which the machine and the network stay in one state. */
interface Segment {
  readonly points: readonly TruePoint[];
  readonly hdop?: number | ((point: TruePoint, index: number) => number);
  readonly ignition: boolean;
  readonly externalVoltage?: number;
  readonly battery?: number | ((index: number) => number);
  readonly coverage?: boolean;
  readonly off?: boolean;
  /** Events on the first fix of the segment. */
  readonly events?: readonly FixEvent[];
  /** Events on every fix of the segment. */
  readonly eventsEach?: readonly FixEvent[];
  readonly reboot?: boolean;
}

const POWER_V = 24.6;
const BATTERY_V = 4.1;

/** Lays the segments one after the other, `intervalS` apart, ending at `endMs`, and adds receiver noise. */
function assemble(
  segments: readonly Segment[],
  intervalS: number,
  endMs: number,
  random: Random,
): TickInput[] {
  const total = segments.reduce((n, s) => n + s.points.length, 0);
  let timeMs = endMs - (total - 1) * intervalS * 1000;
  const steps: TickInput[] = [];
  for (const segment of segments) {
    const timed = segment.points.map((p) => {
      const point = { ...p, timeMs };
      timeMs += intervalS * 1000;
      return point;
    });
    const samples = withGpsNoise(timed, random, segment.hdop ?? ((_, i) => 0.8 + ((i * 7) % 5) / 10));
    samples.forEach((sample, i) => {
      const events = [...(i === 0 ? (segment.events ?? []) : []), ...(segment.eventsEach ?? [])];
      const battery =
        typeof segment.battery === 'function' ? segment.battery(i) : (segment.battery ?? BATTERY_V);
      steps.push({
        sample,
        ignition: segment.ignition,
        externalVoltage: segment.externalVoltage ?? POWER_V,
        battery: Math.round(battery * 100) / 100,
        coverage: segment.coverage ?? true,
        ...(events.length > 0 ? { events } : {}),
        ...(segment.off ? { off: true } : {}),
        ...(i === 0 && segment.reboot ? { reboot: true } : {}),
      });
    });
  }
  return steps;
}

/** Where the scenarios happen: anchors in Madre de Dios; the exact points come from the real geodata. */
const ANCHORS = {
  tambopataNorthEdge: { lat: -12.93, lon: -69.66 },
  corridorWest: { lat: -12.75, lon: -70.2 },
  corridorHuepetuhe: { lat: -12.98, lon: -70.5 },
  lima: { lat: -12.0464, lon: -77.0428 },
} as const satisfies Record<string, LatLon>;

export function buildScenario(name: ScenarioName, places: Places, options: ScenarioOptions = {}): Scenario {
  const random = new Random(options.seed ?? 1);
  const endMs = options.endMs ?? Date.now();
  const t0 = 0;
  const make = (
    description: string,
    category: MachineCategory,
    encoding: Encoding,
    intervalS: number,
    zoneId: string,
    segments: Segment[],
  ): Scenario => ({
    name,
    description,
    category,
    encoding,
    intervalS,
    zoneId,
    steps: assemble(segments, intervalS, endMs, random),
  });

  switch (name) {
    case 'dredge-onto-river': {
      const { bank, onRiver } = places.riverside(ZONES.madreDeDios, TOWNS.bocaColorado, 1200, 3);
      const first = onRiver[0] as LatLon;
      const last = onRiver[onRiver.length - 1] as LatLon;
      return make(
        'A dredge waits on the bank near Boca Colorado, moves onto the Madre de Dios and works upstream on it.',
        'dredge',
        'json',
        60,
        ZONES.madreDeDios,
        [
          { points: standing(bank, 10, 60, t0), ignition: false },
          {
            points: alongPath([bank, first], SPEEDS.dredgeOnRiver, 60, t0),
            ignition: true,
            events: ['ignition_on'],
          },
          { points: alongPath(onRiver, SPEEDS.dredgeOnRiver / 2, 60, t0), ignition: true },
          { points: atWork(last, 40, 20, 60, t0, random), ignition: true },
        ],
      );
    }
    case 'excavator-enters-tambopata': {
      const crossing = places.crossing(ZONES.tambopata, ANCHORS.tambopataNorthEdge, 2000, 1500);
      return make(
        'An excavator (Teltonika tracker) works north of the Tambopata National Reserve, then tracks into it.',
        'excavator',
        'teltonika',
        60,
        ZONES.tambopata,
        [
          {
            points: atWork(crossing.outside, 80, 15, 60, t0, random),
            ignition: true,
            events: ['ignition_on'],
          },
          {
            points: alongPath(
              [crossing.outside, crossing.boundary, crossing.inside],
              SPEEDS.excavatorTracks,
              60,
              t0,
            ),
            ignition: true,
          },
          { points: atWork(crossing.inside, 100, 20, 60, t0, random), ignition: true },
        ],
      );
    }
    case 'legal-corridor-work': {
      const site = places.miningSiteInside(ZONES.corridor, ANCHORS.corridorWest);
      return make(
        `Legal work at a mining site (detected ${site.period}) inside the Madre de Dios mining corridor, then engine off.`,
        'excavator',
        'json',
        60,
        ZONES.corridor,
        [
          { points: atWork(site, 120, 60, 60, t0, random), ignition: true, events: ['ignition_on'] },
          { points: standing(site, 10, 60, t0), ignition: false, events: ['ignition_off'] },
        ],
      );
    }
    case 'truck-interoceanica': {
      const route = alongPath(INTEROCEANICA, SPEEDS.truckOnHighway, 30, t0);
      const gapStart = Math.floor(route.length * 0.55);
      const gapEnd = Math.floor(route.length * 0.8);
      return make(
        'An excavator carried on a truck (ignition off, towing) from Puerto Maldonado to Mazuko along the Interoceanic highway, through the buffer zone of the Tambopata reserve, with a stretch without coverage.',
        'excavator',
        'teltonika',
        30,
        ZONES.tambopataBuffer,
        [
          { points: route.slice(0, gapStart), ignition: false, events: ['towing'] },
          { points: route.slice(gapStart, gapEnd), ignition: false, coverage: false },
          { points: route.slice(gapEnd), ignition: false },
        ],
      );
    }
    case 'dark-near-river': {
      const { bank, onRiver } = places.riverside(ZONES.madreDeDios, TOWNS.laberinto, 700, 2);
      const first = onRiver[0] as LatLon;
      return make(
        'A tracker near Laberinto goes dark 700 m from the Madre de Dios; while dark the machine moves onto the river; it reappears on it and flushes what it stored.',
        'excavator',
        'json',
        60,
        ZONES.madreDeDios,
        [
          { points: atWork(bank, 40, 15, 60, t0, random), ignition: true, events: ['ignition_on'] },
          {
            points: alongPath([bank, first], SPEEDS.excavatorTracks, 60, t0),
            ignition: true,
            coverage: false,
          },
          { points: atWork(first, 30, 20, 60, t0, random), ignition: true, coverage: false },
          { points: atWork(first, 30, 10, 60, t0, random), ignition: true },
        ],
      );
    }
    case 'power-cut': {
      const site = places.miningSiteInside(ZONES.corridor, ANCHORS.corridorHuepetuhe);
      const moved = { lat: site.lat - 0.003, lon: site.lon + 0.002 };
      return make(
        "The machine's power to the tracker is cut: it runs on its battery, goes dark when the battery dies, the machine is moved, and the tracker reboots (sequence from 0) when power returns.",
        'excavator',
        'json',
        60,
        ZONES.corridor,
        [
          { points: atWork(site, 60, 10, 60, t0, random), ignition: true },
          {
            points: standing(site, 10, 60, t0),
            ignition: false,
            externalVoltage: 0,
            battery: (i) => 4.0 - i * 0.06,
            events: ['power_cut', 'ignition_off'],
          },
          {
            points: standing(site, 1, 60, t0),
            ignition: false,
            externalVoltage: 0,
            battery: 3.4,
            events: ['low_battery'],
          },
          { points: alongPath([site, moved], SPEEDS.excavatorTracks, 60, t0), ignition: true, off: true },
          {
            points: atWork(moved, 40, 10, 60, t0, random),
            ignition: true,
            reboot: true,
            battery: 3.5,
            events: ['power_restored', 'ignition_on'],
          },
        ],
      );
    }
    case 'spoofed-jump': {
      const site = places.miningSiteInside(ZONES.corridor, ANCHORS.corridorWest);
      return make(
        'A tracker at a corridor mining site reports one fix in Lima, 800 km away, a minute after its last one (spoofing), then returns.',
        'excavator',
        'json',
        60,
        ZONES.corridor,
        [
          { points: atWork(site, 60, 15, 60, t0, random), ignition: true },
          { points: standing(ANCHORS.lima, 1, 60, t0), ignition: true, hdop: 0.7 },
          { points: atWork(site, 60, 15, 60, t0, random), ignition: true },
        ],
      );
    }
    case 'boundary-jitter': {
      const crossing = places.crossing(ZONES.tambopata, ANCHORS.tambopataNorthEdge);
      return make(
        'A machine parked on the edge of the Tambopata reserve under canopy: GPS noise (HDOP 3–6) makes its fixes fall on both sides of the boundary.',
        'excavator',
        'json',
        30,
        ZONES.tambopata,
        [{ points: standing(crossing.boundary, 60, 30, t0), ignition: false, hdop: (_, i) => 3 + (i % 4) }],
      );
    }
  }
}
