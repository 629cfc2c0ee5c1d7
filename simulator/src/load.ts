import type { MachineCategory } from '@app/registry';
import { Encoding, TickInput } from './firmware';
import { bearingDeg, destination, distanceM, LatLon } from './geo';
import { DREDGE_RIVERS, Places } from './places';
import { Random } from './random';
import { SPEEDS, withGpsNoise } from './track';

/** Where one machine of a load run works. */
export interface MachinePlan {
  readonly category: MachineCategory;
  readonly encoding: Encoding;
  readonly home: LatLon;
  /** Where it is: a mining detection, or a river for dredges. */
  readonly place: string;
  /** How far it wanders from home, metres. */
  readonly radiusM: number;
  /** Department it is registered in. */
  readonly department: string;
  /** For dredges: the stretch of river it works up and down (vertices of the river line). */
  readonly route?: readonly LatLon[];
}

const SITE_CATEGORIES: readonly MachineCategory[] = [
  'excavator',
  'excavator',
  'front_loader',
  'backhoe',
  'bulldozer',
];

/** A deterministic fleet: four in five machines at real mining sites, one in five a dredge on a river. */
export function planFleet(places: Places, count: number, seed: number): MachinePlan[] {
  const random = new Random(seed);
  const sites = places.miningSites;
  // Every vertex of each river, with the part (a continuous line) it belongs to.
  const rivers = DREDGE_RIVERS.map((id) => ({
    id,
    vertices: places
      .lineParts(id)
      .flatMap((part) => (part.length > 1 ? part.map((v, at) => ({ v, at, part })) : [])),
  }));
  return Array.from({ length: count }, (_, i): MachinePlan => {
    const encoding: Encoding = random.next() < 0.3 ? 'teltonika' : 'json';
    if (i % 5 === 4) {
      const river = random.pick(rivers);
      // A stretch in Peru (the Amazonas flows on into Brazil).
      for (let attempt = 0; attempt < 100; attempt++) {
        const { v: home, at, part } = random.pick(river.vertices);
        const department = places.departmentAt(home);
        if (!department) continue;
        const route = part.slice(Math.max(0, at - 8), at + 9);
        return { category: 'dredge', encoding, home, place: river.id, radiusM: 60, department, route };
      }
      throw new Error(`no stretch of ${river.id} in Peru`);
    }
    const site = random.pick(sites);
    return {
      category: random.pick(SITE_CATEGORIES),
      encoding,
      home: site,
      place: `mining detection ${site.period} (${site.department})`,
      radiusM: 150,
      department: site.department || 'MADRE DE DIOS',
    };
  });
}

/**
 * A machine at work, ticking in real time: slow moves around its home, ignition on most of the time, and now
 * and then a stretch out of coverage (what it records then is flushed later by the firmware).
 */
export class LoadMachine {
  private here: LatLon;
  private heading: number;
  private darkTicks = 0;
  private ignition = true;
  private routeIndex = 0;
  private routeStep = 1;

  constructor(
    readonly plan: MachinePlan,
    private readonly random: Random,
    private readonly gapChance = 0.02,
  ) {
    this.here = plan.home;
    this.routeIndex = Math.max(
      0,
      plan.route?.findIndex((v) => v.lat === plan.home.lat && v.lon === plan.home.lon) ?? 0,
    );
    this.heading = random.between(0, 360);
  }

  tick(nowMs: number, intervalS: number): TickInput {
    if (this.random.next() < 0.01) this.ignition = !this.ignition;
    const speedMax = this.plan.category === 'dredge' ? SPEEDS.dredgeOnRiver : SPEEDS.excavatorTracks;
    const speed = this.ignition && this.random.next() < 0.6 ? this.random.between(0.5, speedMax) : 0;
    const route = this.plan.route;
    if (speed > 0 && route && route.length > 1) {
      this.followRoute(route, (speed / 3.6) * intervalS);
    } else if (speed > 0) {
      this.heading = (this.heading + this.random.between(-45, 45) + 360) % 360;
      let next = destination(
        this.here,
        this.heading,
        Math.min((speed / 3.6) * intervalS, this.plan.radiusM / 3),
      );
      if (distanceM(this.plan.home, next) > this.plan.radiusM) {
        this.heading = bearingDeg(this.here, this.plan.home);
        next = destination(
          this.here,
          this.heading,
          Math.min(distanceM(this.here, this.plan.home), this.plan.radiusM / 3),
        );
      }
      this.here = next;
    }
    if (this.darkTicks > 0) this.darkTicks--;
    else if (this.random.next() < this.gapChance) this.darkTicks = this.random.int(3, 30);
    const hdop = this.random.between(0.7, 2.5);
    const [sample] = withGpsNoise(
      [{ ...this.here, timeMs: nowMs, speed, heading: this.heading }],
      this.random,
      hdop,
    );
    return {
      sample: sample!,
      ignition: this.ignition,
      externalVoltage: this.ignition ? 24.6 : 24.1,
      battery: 4.1,
      coverage: this.darkTicks === 0,
    };
  }

  /** Moves `metres` along the route, turning back at its ends, so a dredge stays on its river. */
  private followRoute(route: readonly LatLon[], metres: number): void {
    let left = metres;
    for (let guard = 0; left > 0 && guard < 100; guard++) {
      if (this.routeIndex + this.routeStep < 0 || this.routeIndex + this.routeStep >= route.length)
        this.routeStep = -this.routeStep;
      const target = route[this.routeIndex + this.routeStep] as LatLon;
      const d = distanceM(this.here, target);
      this.heading = bearingDeg(this.here, target);
      if (d > left) {
        this.here = destination(this.here, this.heading, left);
        return;
      }
      this.here = target;
      this.routeIndex += this.routeStep;
      left -= d;
    }
  }
}
