import type { RuleEvent } from '../events';
import type { DeclaredUse, Fix, MachineCategory } from '../model';
import { streamParams, type StreamParams } from '../params';
import { RuleSet } from '../rules';
import { step, type DeviceState, type StepContext } from '../step';
import { BoxLookup } from './box-lookup';

/**
 * A synthetic piece of Madre de Dios: a river strip (~220 m wide) running north–south through the
 * corridor and beyond its northern edge, a protected area to the east with a buffer zone around it.
 */
export const WORLD = new BoxLookup([
  {
    id: 'dep-17',
    kind: 'jurisdiction',
    name: 'MADRE DE DIOS',
    legalBasis: 'INEI',
    department: 'MADRE DE DIOS',
    box: [-70, -13, -68, -11],
  },
  {
    id: 'river',
    kind: 'water_body',
    name: 'Río de prueba',
    legalBasis: 'D.L. N° 1100',
    box: [-69.2, -13, -69.198, -11],
  },
  {
    id: 'corridor',
    kind: 'mining_corridor',
    name: 'Corredor',
    legalBasis: 'D.U. N° 012-2010',
    box: [-69.4, -12.7, -69.15, -12.5],
  },
  {
    id: 'buffer',
    kind: 'buffer_zone',
    name: 'Zona de amortiguamiento',
    legalBasis: 'R.P.',
    box: [-69.12, -12.72, -68.98, -12.48],
  },
  {
    id: 'reserve',
    kind: 'protected_area',
    name: 'Reserva',
    legalBasis: 'D.S.',
    box: [-69.1, -12.7, -69.0, -12.5],
  },
]);

/** Positions in that world. */
export const PLACES = {
  riverInCorridor: { lat: -12.6, lon: -69.199 },
  riverNorthOfCorridor: { lat: -12.3, lon: -69.199 },
  westBankInCorridor: { lat: -12.6, lon: -69.203 },
  eastBankInCorridor: { lat: -12.6, lon: -69.195 },
  corridorDryLand: { lat: -12.6, lon: -69.3 },
  insideReserve: { lat: -12.6, lon: -69.05 },
  reserveEdgeInside: { lat: -12.6, lon: -69.0999 },
  reserveEdgeOutside: { lat: -12.6, lon: -69.1001 },
  bufferOnly: { lat: -12.6, lon: -69.11 },
  outsideCorridorDryLand: { lat: -12.3, lon: -69.5 },
} as const;

export type Place = { lat: number; lon: number };

export const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
export const MINUTE = 60_000;

export interface TrackOptions {
  deviceId?: string;
  start?: number;
  everyMs?: number;
  /** Delivery delay of every fix. */
  delayMs?: number;
  extra?: Partial<Fix>;
}

/** Fixes at the given places, `everyMs` apart, received `delayMs` after they were taken. */
export function track(places: readonly Place[], options: TrackOptions = {}): Fix[] {
  const start = options.start ?? T0;
  const every = options.everyMs ?? MINUTE;
  const delay = options.delayMs ?? 2_000;
  return places.map((p, i) => ({
    deviceId: options.deviceId ?? 'dev-1',
    id: `fix-${i}`,
    time: start + i * every,
    receivedAt: start + i * every + delay,
    lat: p.lat,
    lon: p.lon,
    ignition: true,
    speedKmh: 0,
    hdop: 0.9,
    satellites: 10,
    ...options.extra,
  }));
}

export function repeat(place: Place, n: number): Place[] {
  return Array.from({ length: n }, () => place);
}

/** A machine of `category` declared for `declaredUse` (mining unless given; `null`: unknown). */
export function context(
  category: MachineCategory,
  params: Partial<StreamParams> = {},
  declaredUse: DeclaredUse | null = 'mining',
): StepContext {
  return {
    machine: { machineId: `m-${category}`, category, declaredUse },
    lookup: WORLD,
    rules: new RuleSet(),
    params: streamParams(params),
  };
}

export interface RunResult {
  state: DeviceState | undefined;
  events: RuleEvent[];
}

/** Feed fixes in the given (arrival) order through `step`. */
export function run(fixes: readonly Fix[], ctx: StepContext, state?: DeviceState): RunResult {
  let s = state;
  const events: RuleEvent[] = [];
  for (const fix of fixes) {
    const r = step(s, fix, ctx);
    s = r.state;
    events.push(...r.events);
  }
  return { state: s, events };
}

/** The event interface whose `type` union includes T. */
export type EventOfType<T extends RuleEvent['type'], E extends RuleEvent = RuleEvent> = E extends RuleEvent
  ? T extends E['type']
    ? E
    : never
  : never;

export function ofType<T extends RuleEvent['type']>(events: readonly RuleEvent[], type: T): EventOfType<T>[] {
  return events.filter((e): e is EventOfType<T> => e.type === type);
}

export interface ReportedEpisode {
  key: string;
  since: number;
  until?: number;
}

/**
 * What a consumer holds after applying the events: episodes by id (opened by enter / verdict_open,
 * closed by exit / verdict_close, moved or removed by revisions).
 */
export function reportedEpisodes(events: readonly RuleEvent[]): Map<string, ReportedEpisode> {
  const episodes = new Map<string, ReportedEpisode>();
  for (const e of events) applyEvent(episodes, e);
  return episodes;
}

export function applyEvent(episodes: Map<string, ReportedEpisode>, e: RuleEvent): void {
  switch (e.type) {
    case 'enter':
      episodes.set(e.episodeId, { key: `z|${e.zoneId}`, since: e.since });
      break;
    case 'verdict_open':
      episodes.set(e.episodeId, { key: `r|${e.ruleId}|${e.zoneId}`, since: e.since });
      break;
    case 'exit':
    case 'verdict_close': {
      const ep = episodes.get(e.episodeId);
      if (ep) ep.until = e.at;
      break;
    }
    case 'revised': {
      const ep = episodes.get(e.episodeId);
      if (!ep) break;
      if (e.changes.includes('retracted')) episodes.delete(e.episodeId);
      else {
        ep.since = e.since;
        if (e.until === undefined) delete ep.until;
        else ep.until = e.until;
      }
      break;
    }
    default:
      break;
  }
}

/** The reported episodes as sorted strings, independent of episode ids. */
export function episodeSummary(events: readonly RuleEvent[]): string[] {
  return [...reportedEpisodes(events).values()]
    .map((e) => `${e.key} ${e.since}..${e.until ?? 'open'}`)
    .sort();
}
