import { FleetStats } from './fleet';
import { fixtureIndex } from '../../test/support/geofence-fixtures';
import { fixturePlaces } from '../../test/support/places';
import { distanceM } from './geo';
import { LoadMachine, planFleet } from './load';
import { DREDGE_RIVERS } from './places';
import { Random } from './random';

describe('load fleet', () => {
  const places = fixturePlaces();

  it('plans the same fleet for a seed: machines at real mining sites and dredges on the four rivers', () => {
    const plans = planFleet(places, 200, 9);
    expect(planFleet(places, 200, 9)).toEqual(plans);
    const dredges = plans.filter((p) => p.category === 'dredge');
    expect(dredges).toHaveLength(40);
    expect(dredges.every((d) => (DREDGE_RIVERS as readonly string[]).includes(d.place))).toBe(true);
    const onSites = plans.filter((p) => p.category !== 'dredge');
    expect(
      onSites.every((p) => places.miningSites.some((s) => s.lat === p.home.lat && s.lon === p.home.lon)),
    ).toBe(true);
    expect(plans.some((p) => p.encoding === 'teltonika')).toBe(true);
  });

  it('keeps each machine near home, stamps the tick time, and has coverage gaps now and then', () => {
    const [plan] = planFleet(places, 1, 4);
    const machine = new LoadMachine(plan!, new Random(2), 0.05);
    const ticks = Array.from({ length: 2000 }, (_, i) => machine.tick(1_800_000_000_000 + i * 10_000, 10));
    expect(ticks[5]!.sample.timeMs).toBe(1_800_000_000_000 + 50_000);
    expect(Math.max(...ticks.map((t) => distanceM(plan!.home, t.sample)))).toBeLessThan(plan!.radiusM + 50);
    const dark = ticks.filter((t) => !t.coverage).length;
    expect(dark).toBeGreaterThan(100);
    expect(dark).toBeLessThan(1900);
  });
});

describe('dredges of the load fleet', () => {
  it('work up and down their river and stay on it, registered in the department they are in', async () => {
    const places = fixturePlaces();
    const index = await fixtureIndex();
    const dredges = planFleet(places, 100, 21).filter((p) => p.category === 'dredge');
    expect(new Set(dredges.map((d) => d.place)).size).toBeGreaterThan(2);
    const travelled: number[] = [];
    for (const plan of dredges) {
      expect(places.departmentAt(plan.home)).toBe(plan.department);
      const machine = new LoadMachine(plan, new Random(1), 0);
      const ticks = Array.from({ length: 300 }, (_, i) => machine.tick(i * 60_000, 60));
      for (const t of ticks)
        expect(index.zoneIdsAt(t.sample.trueLat, t.sample.trueLon)).toContain(plan.place);
      travelled.push(
        Math.max(...ticks.map((t) => distanceM(plan.home, { lat: t.sample.trueLat, lon: t.sample.trueLon }))),
      );
      expect(travelled[travelled.length - 1]).toBeGreaterThan(50);
    }
    expect(travelled.filter((m) => m > 500).length).toBeGreaterThan(dredges.length / 2);
  });
});

describe('fleet stats', () => {
  it('reports the average and the recent rate of acknowledged fixes', () => {
    const stats = new FleetStats();
    stats.restart(0);
    stats.fixesAcked = 100;
    expect(stats.rate(10_000)).toBe(10);
    expect(stats.currentRate(10_000)).toBe(10);
    stats.fixesAcked = 150;
    expect(stats.currentRate(11_000)).toBe(50);
    stats.fixesSent = 160;
    expect(stats.line(11_000)).toContain('sent 160 fixes');
    expect(stats.line(11_000)).toContain('acked 150/0');
  });
});
