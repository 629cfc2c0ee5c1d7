import type { GeofenceIndex } from '@app/geofence';
import {
  SampledZoneProximity,
  integrityParams,
  integrityStep,
  integritySweep,
  openAlerts,
  parseIntegrityState,
  type IntegrityContext,
  type IntegrityEvent,
  type IntegrityState,
} from '@app/integrity';
import { decodeDeviceMessage, type PreviousFix } from '@app/telemetry';
import { TrackerFirmware, type Outgoing } from '../../simulator/src/firmware';
import type { Places } from '../../simulator/src/places';
import { buildScenario, type ScenarioName } from '../../simulator/src/scenarios';
import { fixtureIndex } from '../support/geofence-fixtures';
import { fixturePlaces } from '../support/places';

const END = Date.parse('2026-11-22T06:00:00Z');
const IMEI = '356307042441013';
const MINUTE = 60_000;

/**
 * The simulator's scenarios over real places, as the platform would see them: the firmware model (live fixes,
 * flash flushed oldest first after the live fix when coverage returns), the real decoders, the integrity
 * monitor with a sweep every minute, and the nearest prohibited zone from the real geofence index.
 */
describe('integrity alerts from the simulator scenarios (real Peru geodata)', () => {
  let places: Places;
  let index: GeofenceIndex;

  beforeAll(async () => {
    places = fixturePlaces();
    index = await fixtureIndex();
  });

  function replay(name: ScenarioName): { events: IntegrityEvent[]; state: IntegrityState | undefined } {
    const scenario = buildScenario(name, places, { seed: 7, endMs: END });
    const ctx: IntegrityContext = {
      deviceId: IMEI,
      machine: { machineId: `machine-${name}`, category: scenario.category },
      params: integrityParams(),
      windows: [],
      zones: new SampledZoneProximity(index),
    };
    // Messages are delivered as the broker PUBACKs them; this replay has no receipts to wait for.
    const firmware = new TrackerFirmware(IMEI, scenario.encoding, { receipts: false });
    const events: IntegrityEvent[] = [];
    let state: IntegrityState | undefined;
    let previousFix: PreviousFix | undefined;
    const keep = (result: { state: IntegrityState; events: IntegrityEvent[] }) => {
      events.push(...result.events);
      state = parseIntegrityState(JSON.stringify(result.state), IMEI);
    };
    const deliver = (message: Outgoing, receivedAt: number) => {
      const decoded = decodeDeviceMessage(message.topic, message.payload, new Date(receivedAt), {
        authenticatedImei: IMEI,
        ...(previousFix ? { previousFix } : {}),
      });
      expect(decoded.rejections).toEqual([]);
      for (const fix of decoded.fixes) {
        keep(integrityStep(state, { type: 'fix', fix }, ctx));
        if (!previousFix || fix.time > previousFix.time) previousFix = fix;
      }
    };
    const first = scenario.steps[0]!.sample.timeMs;
    let sweptAt = first;
    for (const step of scenario.steps) {
      const t = step.sample.timeMs;
      for (; sweptAt + MINUTE <= t; sweptAt += MINUTE)
        if (state) keep(integritySweep(state, sweptAt + MINUTE, ctx));
      const live = firmware.tick(step);
      if (live) deliver(live, t + 2_000);
      if (step.coverage) {
        let i = 0;
        for (let m = firmware.nextBacklog(); m; m = firmware.nextBacklog()) {
          deliver(m, t + 3_000 + 100 * i++);
          firmware.acknowledge(m);
        }
      }
    }
    return { events, state };
  }

  const kinds = (events: readonly IntegrityEvent[]) => [...new Set(events.map((e) => e.kind))].sort();

  it('dark-near-river: went dark near Laberinto, closed where it reappeared on the Madre de Dios, retracted once its flash covers the silence', () => {
    const { events, state } = replay('dark-near-river');
    expect(kinds(events)).toEqual(['went_dark']);
    const open = events.find((e) => e.type === 'integrity_open');
    expect(open).toMatchObject({ severity: 'violation', details: { operatingAtLastFix: true } });
    const close = events.find((e) => e.type === 'integrity_close');
    expect(close?.retracted).toBeUndefined();
    expect(close?.details.gapMs).toBeGreaterThan(15 * MINUTE);
    expect(close?.details.reappearanceDistanceMeters).toBeGreaterThan(400);
    expect(close?.details.reappearanceDistanceMeters).toBeLessThan(1_200);
    // The flash flushed after the live fix covers the silence: the tracker was out of coverage, recording all
    // along (the rules judge the machine's move onto the river from those fixes), so the alert is retracted.
    const last = events[events.length - 1];
    expect(last).toMatchObject({ alertId: open?.alertId, retracted: true });
    expect(openAlerts(state!)).toEqual([]);
  });

  it('power-cut: a power-cut violation, closed when power returns after the reboot', () => {
    const { events } = replay('power-cut');
    expect(kinds(events)).toEqual(['power_cut']);
    expect(events.map((e) => [e.type, e.cause])).toEqual([
      ['integrity_open', 'power_cut_event'],
      ['integrity_close', 'power_cut_event'],
    ]);
    expect(events[0]?.severity).toBe('violation');
  });

  it('spoofed-jump: a teleport to Lima', () => {
    const { events } = replay('spoofed-jump');
    expect(kinds(events)).toEqual(['spoofing']);
    expect(events[0]).toMatchObject({ type: 'integrity_open', cause: 'teleport' });
    expect(events[0]?.details.jumpMeters).toBeGreaterThan(700_000);
  });

  it('truck-interoceanica: towing is reported (a warning), the carried excavator is not spoofing or dark', () => {
    const { events } = replay('truck-interoceanica');
    expect(kinds(events)).toEqual(['tamper']);
    expect(events[0]).toMatchObject({ type: 'integrity_open', cause: 'towing', severity: 'warning' });
  });

  it.each([
    'legal-corridor-work',
    'dredge-onto-river',
    'excavator-enters-tambopata',
    'boundary-jitter',
  ] as const)('%s: normal tracker behaviour raises no integrity alert', (name) => {
    expect(replay(name).events).toEqual([]);
  });
});
