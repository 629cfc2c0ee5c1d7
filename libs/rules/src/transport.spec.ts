import { classifyActivity, judgeActivity } from './classify';
import type { Fix, ZoneLookup } from './model';
import { streamParams } from './params';
import { RuleSet } from './rules';
import type { StepContext } from './step';
import { interoceanicLookup } from './testing/madre-de-dios';
import { MINUTE, T0, ofType, run, type Place } from './testing/world';

/** The Interoceanic highway across the buffer zone of Reserva Nacional Tambopata, west to east (real data). */
const HIGHWAY = { west: { lat: -12.95, lon: -70.135 }, east: { lat: -12.95, lon: -69.87 } };
const SECOND = 1_000;

const along = (a: Place, b: Place, f: number): Place => ({
  lat: a.lat + (b.lat - a.lat) * f,
  lon: a.lon + (b.lon - a.lon) * f,
});

function fix(i: number, place: Place, extra: Partial<Fix>): Fix {
  return {
    deviceId: 'trk-ex-1',
    id: `pos-${i}`,
    time: T0 + i * 30 * SECOND,
    receivedAt: T0 + i * 30 * SECOND + 2_000,
    lat: place.lat,
    lon: place.lon,
    hdop: 1,
    satellites: 10,
    ...extra,
  };
}

/** An excavator on a truck at ~60 km/h (500 m every 30 s), with a stop of `stopFixes` fixes at `stopAt`. */
function truckRun(
  extra: Partial<Fix>,
  stopAt: number,
  stopFixes: number,
  stopExtra: Partial<Fix> = extra,
): Fix[] {
  const moving = 55;
  const fixes: Fix[] = [];
  let i = 0;
  for (let k = 0; k < moving; k++) {
    const place = along(HIGHWAY.west, HIGHWAY.east, k / moving);
    if (k === stopAt)
      for (let s = 0; s < stopFixes; s++)
        fixes.push(fix(i++, { lat: place.lat + s * 1e-6, lon: place.lon }, stopExtra));
    fixes.push(fix(i++, place, extra));
  }
  return fixes;
}

describe('transport vs operation along the Interoceanic through the Tambopata buffer zone', () => {
  let lookup: ZoneLookup;
  const ctx = (): StepContext => ({
    machine: { machineId: 'machine-excavator', category: 'excavator' },
    lookup,
    rules: new RuleSet(),
    params: streamParams(),
  });
  beforeAll(() => {
    lookup = interoceanicLookup();
  });

  it('the highway runs through the buffer zone', () => {
    for (const f of [0.1, 0.5, 0.9])
      expect(
        lookup
          .zonesAt(...(Object.values(along(HIGHWAY.west, HIGHWAY.east, f)) as [number, number]))
          .map((z) => z.kind),
      ).toContain('buffer_zone');
  });

  it('an excavator on a truck at road speed, ignition off, is transported: no verdict', () => {
    const { events } = run(
      truckRun({ speedKmh: 60, ignition: false }, 20, 6, { speedKmh: 0, ignition: false }),
      ctx(),
    );
    expect(ofType(events, 'verdict_open')).toEqual([]);
  });

  it('a tracker that reports neither speed nor ignition is judged by its implied speed, and a short stop at a checkpoint stays transported', () => {
    const fixes = truckRun({}, 20, 8);
    // Alone, each fix of the stop would count as operating.
    expect(classifyActivity(fixes[22] as Fix, streamParams())).toBe('operating');
    const { events } = run(fixes, ctx());
    expect(ofType(events, 'verdict_open')).toEqual([]);
    expect(ofType(events, 'enter').map((e) => e.zone?.kind)).toContain('buffer_zone');
  });

  it('a machine unloaded in the buffer zone and working there is operating again once the stop outlasts transportStopMs', () => {
    const fixes = truckRun({ speedKmh: 60, ignition: false }, 20, 40, { speedKmh: 2, ignition: true });
    const { events } = run(fixes, ctx());
    const buffer = ofType(events, 'verdict_open').filter((e) => e.ruleId === 'operating-in-buffer-zone');
    expect(buffer).toHaveLength(1);
    // Working with ignition on ends the transport at once: dated at the first fix of the stop.
    expect(buffer[0]?.since).toBe(fixes[20]?.time);
  });

  it('ends the carried-over transport after transportStopMs when ignition stays unknown', () => {
    const params = streamParams();
    const previous = { t: T0, lat: -12.95, lon: -70.0, a: 'transported' as const, ta: T0 };
    const stopped = (dt: number) => fix(0, { lat: -12.95, lon: -70.0 }, { time: T0 + dt, speedKmh: 0 });
    expect(judgeActivity(stopped(4 * MINUTE), params, previous)).toEqual({
      activity: 'transported',
      transportAnchor: T0,
    });
    expect(judgeActivity(stopped(6 * MINUTE), params, { ...previous, t: T0 + 4 * MINUTE }).activity).toBe(
      'operating',
    );
    expect(judgeActivity(stopped(MINUTE), params, { ...previous, a: 'operating' }).activity).toBe(
      'operating',
    );
    expect(judgeActivity({ ...stopped(MINUTE), ignition: true }, params, previous).activity).toBe(
      'operating',
    );
  });
});
