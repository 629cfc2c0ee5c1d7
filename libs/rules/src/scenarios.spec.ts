import type { Fix, ZoneLookup } from './model';
import { streamParams } from './params';
import { RuleSet } from './rules';
import type { StepContext } from './step';
import { madreDeDiosLookup } from './testing/madre-de-dios';
import { MINUTE, T0, ofType, run, type Place } from './testing/world';

/** Real places, from data/peru (rivers-madre-de-dios, protected-areas-sernanp, mining-corridor). */
const TAMBOPATA = {
  /** On the Río Tambopata centreline, upstream of Puerto Maldonado, outside the corridor. */
  river: { lat: -12.64639, lon: -69.1995 },
  /** 900 m east of it, dry land. */
  dryLand: { lat: -12.65391, lon: -69.19635 },
};
const RESERVE_EDGE = {
  /** 1.5 km outside the boundary of Reserva Nacional Tambopata, and 1.5 km inside, across one edge. */
  outside: { lat: -13.106068, lon: -70.038402 },
  inside: { lat: -13.080207, lon: -70.046726 },
};
const MADRE_DE_DIOS_IN_CORRIDOR = {
  /** On the Río Madre de Dios inside the gold-mining corridor, and 900 m off each bank. */
  river: { lat: -12.60487, lon: -70.27129 },
  southBank: { lat: -12.61301, lon: -70.27128 },
  northBank: { lat: -12.59674, lon: -70.27131 },
};

const between = (a: Place, b: Place, f: number): Place => ({
  lat: a.lat + (b.lat - a.lat) * f,
  lon: a.lon + (b.lon - a.lon) * f,
});
const walk = (a: Place, b: Place, steps: number): Place[] =>
  Array.from({ length: steps + 1 }, (_, i) => between(a, b, i / steps));

function fixes(places: readonly Place[], everyMs = MINUTE, extra: Partial<Fix> = {}): Fix[] {
  return places.map((p, i) => ({
    deviceId: 'trk-001',
    id: `pos-${i}`,
    time: T0 + i * everyMs,
    receivedAt: T0 + i * everyMs + 3_000,
    lat: p.lat,
    lon: p.lon,
    ignition: true,
    speedKmh: 2,
    hdop: 1.1,
    satellites: 11,
    ...extra,
  }));
}

describe('scenarios over real places in Madre de Dios', () => {
  let lookup: ZoneLookup;
  const ctx = (category: 'dredge' | 'excavator' | 'dump_truck'): StepContext => ({
    machine: { machineId: `machine-${category}`, category, declaredUse: 'mining' },
    lookup,
    rules: new RuleSet(),
    params: streamParams(),
  });
  const kindsAt = (p: Place) => lookup.zonesAt(p.lat, p.lon).map((z) => z.kind);

  beforeAll(() => {
    lookup = madreDeDiosLookup();
  });

  it('opens a DL 1100 violation when a dredge moves onto the Tambopata river, dated at its first fix on the river', () => {
    const track = fixes([
      ...walk(TAMBOPATA.dryLand, TAMBOPATA.river, 10),
      ...Array(10).fill(TAMBOPATA.river),
    ]);
    const firstOnRiver = track.findIndex((f) => kindsAt(f).includes('water_body'));
    expect(firstOnRiver).toBeGreaterThan(0);

    const { events } = run(track, ctx('dredge'));
    const dl1100 = ofType(events, 'verdict_open').filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(dl1100).toHaveLength(1);
    expect(dl1100[0]).toMatchObject({
      verdict: 'violation',
      zoneId: 'goremad-rio-tambopata',
      zone: { name: 'Río Tambopata', kind: 'water_body' },
      since: track[firstOnRiver]?.time,
      catalogueVersion: lookup.catalogueVersion,
      late: false,
    });
    expect(dl1100[0]?.legalBasis).toMatch(/1100/);
    for (const evidence of dl1100[0]?.fixes ?? []) expect(kindsAt(evidence)).toContain('water_body');
  });

  it('still opens the DL 1100 violation, marked late, when the hours a dredge spent on the Tambopata river arrive from its buffer after newer fixes', () => {
    const track = fixes([
      ...Array(5).fill(TAMBOPATA.dryLand),
      ...Array(120).fill(TAMBOPATA.river),
      ...Array(5).fill(TAMBOPATA.dryLand),
    ]);
    const onRiver = track.slice(5, 125);
    const upload = (track[129] as Fix).time + 10 * MINUTE;
    const arrivals = [
      ...track.slice(0, 5),
      ...track.slice(125),
      ...onRiver.map((f) => ({ ...f, receivedAt: upload })),
    ];

    const { events } = run(arrivals, ctx('dredge'));
    const opened = ofType(events, 'verdict_open').filter((e) => e.ruleId === 'dredge-in-water-body');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ since: onRiver[0]?.time, late: true, detectedAt: upload });
    expect(opened[0]?.delayMs).toBe(upload - (opened[0]?.confirmedAt ?? 0));
    const closed = ofType(events, 'verdict_close').filter((e) => e.episodeId === opened[0]?.episodeId);
    expect(closed.map((e) => e.at)).toEqual([track[125]?.time]);
  });

  it('also finds that dredge outside the mining corridor (DU 012-2010): each applicable rule yields its own verdict', () => {
    const track = fixes(Array(6).fill(TAMBOPATA.river));
    const { events } = run(track, ctx('dredge'));
    expect(
      ofType(events, 'verdict_open')
        .map((e) => `${e.ruleId}@${e.zone?.kind}`)
        .sort(),
    ).toEqual(['dredge-in-water-body@water_body', 'operating-outside-mining-corridor@jurisdiction']);
  });

  it('opens a protected-area violation when an excavator walks into Reserva Nacional Tambopata, not before', () => {
    const track = fixes(walk(RESERVE_EDGE.outside, RESERVE_EDGE.inside, 60));
    const firstInside = track.findIndex((f) => kindsAt(f).includes('protected_area'));
    expect(firstInside).toBeGreaterThan(20);

    const before = run(track.slice(0, firstInside), ctx('excavator'));
    expect(
      ofType(before.events, 'verdict_open').filter((e) => e.ruleId === 'operating-in-protected-area'),
    ).toEqual([]);

    const { events } = run(track, ctx('excavator'));
    const [violation, ...more] = ofType(events, 'verdict_open').filter(
      (e) => e.ruleId === 'operating-in-protected-area',
    );
    expect(more).toEqual([]);
    expect(violation).toMatchObject({
      verdict: 'violation',
      zone: { name: 'Tambopata' },
      since: track[firstInside]?.time,
    });
    expect(ofType(events, 'enter').filter((e) => e.zone?.kind === 'protected_area')).toHaveLength(1);
  });

  it('raises nothing for an excavator working just outside the reserve while its fixes jitter across the boundary', () => {
    const justOutside = between(RESERVE_EDGE.outside, RESERVE_EDGE.inside, 0.5 - 20 / 3000);
    const justInside = between(RESERVE_EDGE.outside, RESERVE_EDGE.inside, 0.5 + 20 / 3000);
    expect(kindsAt(justOutside)).not.toContain('protected_area');
    expect(kindsAt(justInside)).toContain('protected_area');
    const places = Array.from({ length: 120 }, (_, i) => (i % 3 === 2 ? justInside : justOutside));
    const { events } = run(fixes(places, 30_000), ctx('excavator'));
    expect(ofType(events, 'enter').filter((e) => e.zone?.kind === 'protected_area')).toEqual([]);
    expect(ofType(events, 'verdict_open').filter((e) => e.ruleId === 'operating-in-protected-area')).toEqual(
      [],
    );
  });

  it('keeps one open violation, without exit, for an excavator working just inside the reserve with jittery fixes', () => {
    const justOutside = between(RESERVE_EDGE.outside, RESERVE_EDGE.inside, 0.5 - 20 / 3000);
    const justInside = between(RESERVE_EDGE.outside, RESERVE_EDGE.inside, 0.5 + 20 / 3000);
    const places = Array.from({ length: 120 }, (_, i) => (i % 3 === 2 ? justOutside : justInside));
    const { events } = run(fixes(places, 30_000), ctx('excavator'));
    expect(
      ofType(events, 'verdict_open').filter((e) => e.ruleId === 'operating-in-protected-area'),
    ).toHaveLength(1);
    expect(ofType(events, 'verdict_close')).toEqual([]);
    expect(ofType(events, 'exit')).toEqual([]);
  });

  it('raises no verdict for an excavator working inside the mining corridor away from rivers', () => {
    const site = MADRE_DE_DIOS_IN_CORRIDOR.southBank;
    const places = Array.from({ length: 240 }, (_, i) => ({
      lat: site.lat + Math.sin(i / 7) * 0.0003,
      lon: site.lon + Math.cos(i / 5) * 0.0003,
    }));
    const { events } = run(fixes(places, 30_000), ctx('excavator'));
    expect(ofType(events, 'verdict_open')).toEqual([]);
    expect(ofType(events, 'crossing')).toEqual([]);
    expect(
      ofType(events, 'enter')
        .map((e) => e.zone?.kind)
        .sort(),
    ).toEqual(['jurisdiction', 'mining_corridor']);
  });

  it('finds a dredge on the Madre de Dios river inside the corridor in violation of DL 1100 (the corridor cancels nothing)', () => {
    const { events } = run(fixes(Array(5).fill(MADRE_DE_DIOS_IN_CORRIDOR.river)), ctx('dredge'));
    expect(kindsAt(MADRE_DE_DIOS_IN_CORRIDOR.river)).toContain('mining_corridor');
    expect(ofType(events, 'verdict_open').map((e) => `${e.ruleId}@${e.zoneId}`)).toEqual([
      'dredge-in-water-body@goremad-rio-madre',
    ]);
  });

  it('detects a sparse crossing of the Madre de Dios river between fixes on both banks', () => {
    const { southBank, northBank } = MADRE_DE_DIOS_IN_CORRIDOR;
    expect(kindsAt(southBank)).not.toContain('water_body');
    expect(kindsAt(northBank)).not.toContain('water_body');
    const track = fixes([southBank, southBank, southBank, northBank, northBank, northBank], 30 * MINUTE);

    const dredge = run(track, ctx('dredge')).events;
    const [crossing, ...more] = ofType(dredge, 'crossing');
    expect(more).toEqual([]);
    expect(crossing).toMatchObject({
      zoneId: 'goremad-rio-madre',
      from: { id: 'pos-2' },
      to: { id: 'pos-3' },
    });
    expect(crossing?.verdicts.map((v) => v.ruleId)).toEqual(['dredge-in-water-body']);
    expect(ofType(dredge, 'enter').filter((e) => e.zoneId === 'goremad-rio-madre')).toEqual([]);

    const truck = run(fixes([southBank, northBank], 3 * MINUTE, { speedKmh: 40 }), ctx('dump_truck')).events;
    expect(ofType(truck, 'crossing').map((c) => [c.zoneId, c.verdicts])).toEqual([['goremad-rio-madre', []]]);
  });
});
