import type { GeofenceIndex } from '@app/geofence';
import { fixtureIndex } from '../../test/support/geofence-fixtures';
import { fixturePlaces } from '../../test/support/places';
import { TrackerFirmware } from './firmware';
import { distanceM } from './geo';
import { Places, ZONES } from './places';
import { buildScenario, Scenario, SCENARIO_NAMES, ScenarioName } from './scenarios';

const END = Date.parse('2026-11-22T06:00:00Z');

describe('scenarios against the real Peru geofence index', () => {
  let places: Places;
  let index: GeofenceIndex;
  const scenario = (name: ScenarioName, seed = 7): Scenario =>
    buildScenario(name, places, { seed, endMs: END });
  const inZone = (s: Scenario, zoneId = s.zoneId) =>
    s.steps.map((step) => index.zoneIdsAt(step.sample.lat, step.sample.lon).includes(zoneId));
  const trueInZone = (s: Scenario, zoneId = s.zoneId) =>
    s.steps.map((step) => index.zoneIdsAt(step.sample.trueLat, step.sample.trueLon).includes(zoneId));

  beforeAll(async () => {
    places = fixturePlaces();
    index = await fixtureIndex();
  });

  it.each(SCENARIO_NAMES)(
    '%s is deterministic for a seed, ends at the end time, one tick per interval',
    (name) => {
      const a = scenario(name);
      expect(scenario(name)).toEqual(a);
      expect(scenario(name, 8).steps).not.toEqual(a.steps);
      const times = a.steps.map((s) => s.sample.timeMs);
      expect(times[times.length - 1]).toBe(END);
      times.slice(1).forEach((t, i) => expect(t - (times[i] as number)).toBe(a.intervalS * 1000));
    },
  );

  it('dredge-onto-river: starts on the bank, ends on the Madre de Dios', () => {
    const s = scenario('dredge-onto-river');
    const zones = trueInZone(s);
    expect(s.category).toBe('dredge');
    expect(zones.slice(0, 10).every((inside) => !inside)).toBe(true);
    expect(zones.slice(-30).every(Boolean)).toBe(true);
  });

  it('excavator-enters-tambopata: outside the reserve first, inside at the end', () => {
    const s = scenario('excavator-enters-tambopata');
    const zones = trueInZone(s);
    expect(s.encoding).toBe('teltonika');
    expect(zones.slice(0, 15).every((inside) => !inside)).toBe(true);
    expect(zones.slice(-20).every(Boolean)).toBe(true);
  });

  it('legal-corridor-work: every fix inside the mining corridor, none in the reserve or its buffer zone', () => {
    const s = scenario('legal-corridor-work');
    expect(inZone(s).every(Boolean)).toBe(true);
    expect(inZone(s, ZONES.tambopata).some(Boolean)).toBe(false);
    expect(inZone(s, ZONES.tambopataBuffer).some(Boolean)).toBe(false);
  });

  it('truck-interoceanica: crosses the buffer zone at highway speed without entering the reserve', () => {
    const s = scenario('truck-interoceanica');
    const buffer = inZone(s);
    expect(buffer.filter(Boolean).length).toBeGreaterThan(10);
    expect(buffer[0]).toBe(false);
    expect(buffer[buffer.length - 1]).toBe(false);
    expect(inZone(s, ZONES.tambopata).some(Boolean)).toBe(false);
    expect(s.steps.every((step) => !step.ignition)).toBe(true);
    expect(s.steps[0]?.events).toEqual(['towing']);
    expect(s.steps.some((step) => !step.coverage)).toBe(true);
    expect(Math.max(...s.steps.map((step) => step.sample.speed))).toBe(60);
  });

  it('dark-near-river: last live fix off the river, first fix after the gap on it', () => {
    const s = scenario('dark-near-river');
    const zones = trueInZone(s);
    const firstDark = s.steps.findIndex((step) => !step.coverage);
    const back = s.steps.findIndex((step, i) => i > firstDark && step.coverage);
    expect(firstDark).toBeGreaterThan(0);
    expect(zones.slice(0, firstDark).every((inside) => !inside)).toBe(true);
    expect(zones.slice(back).every(Boolean)).toBe(true);
    expect(zones.slice(firstDark, back).some(Boolean)).toBe(true);
  });

  it('power-cut: voltage drops to 0, the tracker goes off and reboots with its sequence from 0', () => {
    const s = scenario('power-cut');
    const firmware = new TrackerFirmware('356307042441013', 'json');
    const sent = s.steps.map((step) => firmware.tick(step)).flatMap((m) => (m ? m.fixes : []));
    const cut = sent.findIndex((f) => f.events.includes('power_cut'));
    const restored = sent.findIndex((f) => f.events.includes('power_restored'));
    expect(sent[cut]?.externalVoltage).toBe(0);
    expect(restored).toBeGreaterThan(cut);
    expect(sent[restored]?.sequence).toBe(0);
    expect(sent[restored - 1]?.sequence).toBe(restored - 1);
    expect(sent.length).toBeLessThan(s.steps.length);
    expect(inZone(s).every(Boolean)).toBe(true);
  });

  it('spoofed-jump: one fix hundreds of km away a minute after the previous, impossible for a machine', () => {
    const s = scenario('spoofed-jump');
    const jumps = s.steps.slice(1).map((step, i) => {
      const before = s.steps[i]!.sample;
      return distanceM(before, step.sample) / 1000 / ((step.sample.timeMs - before.timeMs) / 3_600_000);
    });
    expect(jumps.filter((kmh) => kmh > 250)).toHaveLength(2);
    expect(inZone(s).filter((inside) => !inside)).toHaveLength(1);
  });

  it('boundary-jitter: a parked machine whose noisy fixes fall on both sides of the reserve boundary', () => {
    const s = scenario('boundary-jitter');
    const zones = inZone(s);
    expect(zones.filter(Boolean).length).toBeGreaterThan(5);
    expect(zones.filter((inside) => !inside).length).toBeGreaterThan(5);
    const spread = s.steps.map((step) => distanceM(s.steps[0]!.sample, step.sample));
    expect(Math.max(...spread)).toBeLessThan(150);
  });
});
