import type { IntegrityFix, MachineCategory } from '../model';
import { between, offset, PLACES, type Place } from './places';
import { HOUR, MINUTE, SECOND } from './stream';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CleanDayPlan {
  category: MachineCategory;
  /** Where the machine works in the morning. */
  site: Place;
  /** Where it is carried at midday (absent: it stays). */
  carriedTo?: Place;
  seed: number;
}

/** One machine of each kind at work in Madre de Dios and Loreto. */
export const CLEAN_DAY_FLEET: readonly CleanDayPlan[] = [
  {
    category: 'excavator',
    site: PLACES.laPampa,
    carriedTo: between(PLACES.laPampa, PLACES.puertoMaldonado, 0.4),
    seed: 1,
  },
  { category: 'dredge', site: PLACES.nanayRiver, seed: 2 },
  {
    category: 'front_loader',
    site: PLACES.laberintoTown,
    carriedTo: offset(PLACES.laberintoTown, -8_000, 12_000),
    seed: 3,
  },
  {
    category: 'bulldozer',
    site: PLACES.mazuko,
    carriedTo: between(PLACES.mazuko, PLACES.laPampa, 0.5),
    seed: 4,
  },
  {
    category: 'dump_truck',
    site: PLACES.bocaColoradoSouthBank,
    carriedTo: offset(PLACES.bocaColoradoSouthBank, -30_000, 0),
    seed: 5,
  },
  { category: 'backhoe', site: PLACES.iquitos, seed: 6 },
];

/**
 * A normal working day of one machine, as its tracker reports it: parked with ignition off overnight (a fix
 * every 30 min), an engine start with its voltage dip, five hours of work around the site (a fix a minute,
 * GNSS scatter of a few metres, fair and occasionally poor sky), carried on a truck at road speed, a lunch
 * stop, an afternoon of work, parked again. Coverage drops for a few minutes twice (those fixes come late
 * from the buffer), delivery takes 1–8 s otherwise, and the sequence counter runs on.
 */
export function cleanDay(plan: CleanDayPlan, dayStart: number): IntegrityFix[] {
  const rnd = random(plan.seed);
  const fixes: IntegrityFix[] = [];
  let sequence = Math.floor(rnd() * 50_000);
  let here: Place = plan.site;
  const jitter = (p: Place, meters: number) =>
    offset(p, (rnd() - 0.5) * 2 * meters, (rnd() - 0.5) * 2 * meters);
  const emit = (t: number, p: Place, extra: Partial<IntegrityFix>) => {
    const poor = rnd() < 0.05;
    const sats = poor ? 4 + Math.floor(rnd() * 2) : 7 + Math.floor(rnd() * 6);
    const hdop = poor ? 3 + rnd() * 3 : 0.7 + rnd() * 1.6;
    const isolatedLoss = rnd() < 0.004;
    const fix: IntegrityFix = {
      id: `${plan.category}-${t}`,
      time: t,
      receivedAt: t + SECOND + Math.floor(rnd() * 7 * SECOND),
      ...jitter(p, 3),
      speedKmh: 0,
      ignition: true,
      hdop: isolatedLoss ? 15 : Math.round(hdop * 10) / 10,
      satellites: isolatedLoss ? 3 : sats,
      externalVoltageV: Math.round((27.4 + rnd() * 0.8) * 10) / 10,
      events: [],
      flags: isolatedLoss ? ['low_quality'] : [],
      sequence: sequence++,
      ...extra,
    };
    fixes.push(fix);
  };
  const parked = (from: number, to: number) => {
    for (let t = from; t < to; t += 30 * MINUTE)
      emit(t, here, { ignition: false, externalVoltageV: Math.round((24.8 + rnd() * 0.4) * 10) / 10 });
  };
  const work = (from: number, to: number) => {
    let p = here;
    for (let t = from; t < to; t += MINUTE) {
      const next = jitter(p, 8);
      // Stay within 150 m of the site.
      p = Math.abs(next.lat - here.lat) < 0.0014 && Math.abs(next.lon - here.lon) < 0.0014 ? next : p;
      emit(t, p, { speedKmh: Math.round(rnd() * 40) / 10 });
    }
  };
  const carry = (from: number, to: number, target: Place) => {
    const start = here;
    const steps = Math.round((to - from) / MINUTE);
    for (let i = 0; i <= steps; i++)
      emit(from + i * MINUTE, between(start, target, i / steps), {
        speedKmh: 55 + Math.round(rnd() * 250) / 10,
      });
    here = target;
  };

  parked(dayStart, dayStart + 6 * HOUR);
  emit(dayStart + 6 * HOUR, here, { events: ['ignition_on'], externalVoltageV: 17.2 });
  work(dayStart + 6 * HOUR + MINUTE, dayStart + 11 * HOUR);
  if (plan.carriedTo) carry(dayStart + 11 * HOUR, dayStart + 12 * HOUR, plan.carriedTo);
  else work(dayStart + 11 * HOUR, dayStart + 12 * HOUR);
  emit(dayStart + 12 * HOUR + MINUTE, here, { ignition: false, events: ['ignition_off'] });
  parked(dayStart + 12 * HOUR + 30 * MINUTE, dayStart + 13 * HOUR);
  emit(dayStart + 13 * HOUR, here, { events: ['ignition_on'], externalVoltageV: 18.1 });
  work(dayStart + 13 * HOUR + MINUTE, dayStart + 18 * HOUR);
  emit(dayStart + 18 * HOUR, here, { ignition: false, events: ['ignition_off'] });
  parked(dayStart + 18 * HOUR + 30 * MINUTE, dayStart + 24 * HOUR);

  // Two coverage drops: fixes taken meanwhile arrive together when coverage returns.
  for (const [from, minutes] of [
    [dayStart + 8 * HOUR, 9],
    [dayStart + 15 * HOUR + 20 * MINUTE, 12],
  ] as const) {
    const back = from + minutes * MINUTE + 4 * SECOND;
    for (const f of fixes) if (f.time >= from && f.time < from + minutes * MINUTE) f.receivedAt = back;
  }
  return fixes;
}
