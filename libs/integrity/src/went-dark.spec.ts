import fc from 'fast-check';
import type { IntegrityFix } from './model';
import { openAlerts } from './monitor';
import { PLACES, between, offset } from './testing/places';
import {
  HOUR,
  MINUTE,
  SECOND,
  T0,
  alertOutcomes,
  context,
  drive,
  fixAt,
  live,
  ofKind,
  track,
  type Action,
} from './testing/stream';

/** A working machine scattering a few metres around a place, one fix a minute. */
const working = (
  start: number,
  place: { lat: number; lon: number },
  n: number,
  extra: Partial<IntegrityFix> = {},
) =>
  track(
    start,
    Array.from({ length: n }, (_, i) => offset(place, ((i * 7) % 5) - 2, ((i * 3) % 5) - 2)),
    MINUTE,
    extra,
  );

describe('went dark', () => {
  it('opens a violation for a dredge that goes silent on the Madre de Dios river at Boca Colorado, and closes it with where it reappeared', () => {
    const ctx = context('dredge');
    const before = working(T0, PLACES.bocaColoradoRiver, 30);
    const vanished = before[before.length - 1] as IntegrityFix;
    const back = fixAt(vanished.time + 60 * MINUTE, PLACES.bocaColoradoSouthBank);
    const { events, state } = drive(live([...before, back]), ctx);

    const dark = ofKind(events, 'went_dark');
    expect(dark.map((e) => e.type)).toEqual([
      'integrity_open',
      'integrity_update',
      'integrity_update',
      'integrity_close',
    ]);
    const [open] = dark;
    expect(open).toMatchObject({
      severity: 'violation',
      ruleId: 'integrity.went_dark',
      since: vanished.time,
      at: vanished.time + 15 * MINUTE,
      details: {
        nearestProhibitedZoneName: 'Río Madre de Dios',
        distanceToProhibitedZoneMeters: 0,
        operatingAtLastFix: true,
        thresholdMs: 15 * MINUTE,
      },
    });
    expect(open?.detectedAt).toBeGreaterThan(vanished.receivedAt + 15 * MINUTE);
    expect(open?.detectedAt).toBeLessThanOrEqual(vanished.receivedAt + 16 * MINUTE);
    expect(open?.description).toMatch(/dentro de Río Madre de Dios y la máquina estaba operando/);
    expect(open?.descriptionEn).toMatch(/inside Río Madre de Dios and the machine was operating/);
    expect(open?.legalBasis).toMatch(/^Obligación del Registro Nacional de Maquinaria Pesada/);
    expect(open?.legalBasis).not.toMatch(/1107/);
    const close = dark[dark.length - 1];
    expect(close).toMatchObject({ alertId: open?.alertId, at: back.time, since: vanished.time });
    expect(close?.details.gapMs).toBe(60 * MINUTE);
    expect(close?.details.reappearanceDistanceMeters).toBeGreaterThan(850);
    expect(close?.details.reappearanceDistanceMeters).toBeLessThan(950);
    expect(close?.details.reappearanceImpliedSpeedKmh).toBeCloseTo(0.9, 0);
    expect(close?.evidence.map((e) => e.deviceTime)).toEqual([vanished.time, back.time]);
    expect(openAlerts(state)).toEqual([]);
  });

  it('waits longer after ignition off and raises only a warning away from prohibited zones (Laberinto, parked in town)', () => {
    const ctx = context('excavator');
    const parked = working(T0, PLACES.laberintoTown, 10, { ignition: false, speedKmh: 0 });
    const last = parked[parked.length - 1] as IntegrityFix;
    const silentFor = (minutes: number) =>
      drive(live(parked, MINUTE, last.receivedAt + minutes * MINUTE), ctx);

    expect(ofKind(silentFor(80).events, 'went_dark')).toEqual([]);
    const [open] = ofKind(silentFor(95).events, 'went_dark');
    expect(open).toMatchObject({
      type: 'integrity_open',
      severity: 'warning',
      details: { thresholdMs: 90 * MINUTE, ignitionAtLastFix: false, distanceToProhibitedZoneMeters: null },
    });
  });

  it('raises severity within the configured distance of a prohibited zone: parked at Laberinto port, 200 m from the river', () => {
    const ctx = context('front_loader');
    const parked = working(T0, PLACES.laberintoPort, 10, { ignition: false, speedKmh: 0 });
    const last = parked[parked.length - 1] as IntegrityFix;
    const [open] = ofKind(
      drive(live(parked, MINUTE, last.receivedAt + 95 * MINUTE), ctx).events,
      'went_dark',
    );
    expect(open?.severity).toBe('violation');
    expect(open?.details.nearestProhibitedZoneName).toBe('Río Madre de Dios');

    const far = context('front_loader', { params: { darkNearZoneMeters: 0 } });
    const [farOpen] = ofKind(
      drive(live(parked, MINUTE, last.receivedAt + 95 * MINUTE), far).events,
      'went_dark',
    );
    expect(farOpen?.severity).toBe('warning');
  });

  it('uses the reporting interval and factors of the machine category', () => {
    const ctx = context('dredge', {
      params: { categories: { dredge: { reportingIntervalMs: 30 * SECOND, darkFactorIgnitionOn: 10 } } },
    });
    const fixes = working(T0, PLACES.nanayRiver, 5);
    const last = fixes[fixes.length - 1] as IntegrityFix;
    const [open] = ofKind(drive(live(fixes, MINUTE, last.receivedAt + 7 * MINUTE), ctx).events, 'went_dark');
    expect(open?.details.thresholdMs).toBe(5 * MINUTE);
    expect(open?.details.nearestProhibitedZoneName).toBe('Río Nanay');
  });

  it('retracts the alert when the tracker, back in coverage, flushes a buffer that covers the whole silence (excavator at La Pampa)', () => {
    const ctx = context('excavator');
    const day = working(T0, PLACES.laPampa, 180);
    // Coverage lost for fixes 30..149 (2 h): they are taken on time but delivered in one flush when it returns.
    const flushAt = day[150]!.receivedAt + 20 * SECOND;
    const fixes = day.map((f, i) => (i >= 30 && i < 150 ? { ...f, receivedAt: flushAt + i } : f));
    const { events, state } = drive(live(fixes), ctx);

    const dark = ofKind(events, 'went_dark');
    expect(dark[0]?.type).toBe('integrity_open');
    const last = dark[dark.length - 1];
    expect(last).toMatchObject({
      type: 'integrity_update',
      retracted: true,
      details: { outcome: 'covered_by_buffered_fixes' },
    });
    expect([...alertOutcomes(events).values()]).toEqual(['retracted']);
    expect(openAlerts(state)).toEqual([]);
  });

  it('retracts a went-dark alert still open when the buffered fixes arrive before any live fix', () => {
    const ctx = context('excavator');
    const day = working(T0, PLACES.laPampa, 120);
    const back = day[100]!.receivedAt;
    const fixes = day.map((f, i) => (i >= 30 && i < 100 ? { ...f, receivedAt: back - 100 + i } : f));
    const { events, state } = drive(live(fixes), ctx);
    const dark = ofKind(events, 'went_dark');
    expect(dark.map((e) => e.type)).toContain('integrity_open');
    expect(dark[dark.length - 1]).toMatchObject({ type: 'integrity_close', retracted: true });
    expect(openAlerts(state)).toEqual([]);
  });

  it('revises a closed alert when buffered fixes show a shorter real gap', () => {
    const ctx = context('bulldozer');
    const day = working(T0, PLACES.laPampa, 180);
    // Out of coverage from fix 30 to 149; the tracker itself was off from 60 to 99 (40 min: a real gap).
    const flushAt = day[150]!.receivedAt + 20 * SECOND;
    const fixes = day
      .filter((_, i) => i < 60 || i >= 100)
      .map((f) =>
        f.time >= day[30]!.time && f.time < day[150]!.time ? { ...f, receivedAt: flushAt + 1 } : f,
      );
    const { events, state } = drive(live(fixes), ctx);
    const dark = ofKind(events, 'went_dark');
    const final = dark[dark.length - 1];
    expect(final?.retracted).toBeUndefined();
    expect(final?.since).toBe(day[59]!.time);
    expect(final?.details.reappearedAt).toBe(day[100]!.time);
    expect(final?.details.gapMs).toBe(41 * MINUTE);
    expect([...alertOutcomes(events).values()]).toEqual(['closed']);
    expect(openAlerts(state)).toEqual([]);
  });

  it('sweeps no tracker dark while it delivers a buffer of hours-old fixes, and judges the gaps in it once delivered', () => {
    const ctx = context('excavator');
    // Two hours of work taken out of coverage, delivered from T0 + 2 h 05 min at one fix every 2 s (4 min),
    // with a sweep every minute meanwhile; the buffer has no gap, so nothing was ever dark.
    const history = working(T0, PLACES.laPampa, 120);
    const deliveredFrom = T0 + 125 * MINUTE;
    const buffered = history.map((f, i) => ({ ...f, receivedAt: deliveredFrom + i * 2 * SECOND }));
    const { events, state } = drive(live(buffered), ctx);
    expect(ofKind(events, 'went_dark')).toEqual([]);
    expect(openAlerts(state)).toEqual([]);
  });

  it('reports a silence no sweep saw when the tracker comes back, opened and closed at once', () => {
    const ctx = context('backhoe');
    const fixes = [
      ...working(T0, PLACES.laberintoTown, 10),
      ...working(T0 + 2 * HOUR, PLACES.laberintoTown, 3),
    ];
    const { events } = drive(
      fixes.map((fix) => ({ fix })),
      ctx,
    );
    expect(ofKind(events, 'went_dark').map((e) => e.type)).toEqual(['integrity_open', 'integrity_close']);
    expect(ofKind(events, 'went_dark')[1]?.details.gapMs).toBe(2 * HOUR - 9 * MINUTE);
  });

  it('downgrades a went-dark violation inside a declared maintenance window, and says so', () => {
    const fixes = working(T0, PLACES.bocaColoradoRiver, 10);
    const last = fixes[fixes.length - 1] as IntegrityFix;
    const windows = [
      { id: 'w-1', kind: 'maintenance' as const, from: T0, to: T0 + 4 * HOUR, reason: 'tracker replaced' },
    ];
    const ctx = context('dredge', { windows });
    const [open] = drive(live(fixes, MINUTE, last.receivedAt + 20 * MINUTE), ctx).events;
    expect(open).toMatchObject({
      type: 'integrity_open',
      kind: 'went_dark',
      severity: 'warning',
      detectedSeverity: 'violation',
      downgradedBy: { windowId: 'w-1', windowKind: 'maintenance' },
    });
    expect(open?.description).toMatch(
      /rebajada: dentro del periodo declarado de mantenimiento w-1 \(tracker replaced\)/,
    );
    expect(open?.descriptionEn).toMatch(
      /downgraded: inside the declared maintenance window w-1 \(tracker replaced\)/,
    );
  });

  it('downgrades an ongoing silence once it reaches a window declared to start after the tracker went dark', () => {
    const fixes = working(T0, PLACES.bocaColoradoRiver, 10);
    const last = fixes[fixes.length - 1] as IntegrityFix;
    const from = last.time + 40 * MINUTE;
    const ctx = context('dredge', {
      windows: [{ id: 'w-2', kind: 'out_of_service', from, to: from + 4 * HOUR }],
    });
    const dark = ofKind(drive(live(fixes, MINUTE, last.receivedAt + 60 * MINUTE), ctx).events, 'went_dark');
    expect(dark.map((e) => [e.type, e.severity, e.downgradedBy?.windowId ?? null])).toEqual([
      ['integrity_open', 'violation', null],
      ['integrity_update', 'violation', null],
      ['integrity_update', 'warning', 'w-2'],
    ]);
  });

  it('keeps the state bounded however long the stream', () => {
    const ctx = context('excavator');
    const fixes: IntegrityFix[] = [];
    for (let d = 0; d < 60; d++) fixes.push(...working(T0 + d * 2 * HOUR, PLACES.laPampa, 3));
    const { maxStateBytes, state } = drive(
      fixes.map((fix) => ({ fix })),
      ctx,
    );
    expect(state.dark.spans.length).toBeLessThanOrEqual(ctx.params.coverageSpans);
    expect(state.dark.closed.length).toBeLessThanOrEqual(ctx.params.closedDarkAlerts);
    expect(maxStateBytes).toBeLessThan(40_000);
  });

  it('property: once fixes covering every silence have arrived, in any order, no went-dark alert holds', () => {
    const ctx = context('excavator');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 20 * SECOND, max: 2 * MINUTE }), { minLength: 20, maxLength: 120 }),
        fc.array(fc.nat({ max: 6 * HOUR }), { minLength: 120, maxLength: 120 }),
        fc.integer({ min: 1, max: 10 }),
        (gaps, delays, sweepMinutes) => {
          let t = T0;
          const fixes = gaps.map((g, i) => {
            t += g;
            return fixAt(t, between(PLACES.laPampa, PLACES.mazuko, i / 1000), {
              receivedAt: t + (delays[i] ?? 0),
            });
          });
          // Then the tracker reports live, a fix a minute, until after the last buffered fix has arrived.
          const lastArrival = Math.max(...fixes.map((f) => f.receivedAt));
          for (let tail = t + MINUTE; tail <= lastArrival + MINUTE; tail += MINUTE)
            fixes.push(fixAt(tail, PLACES.mazuko));
          const actions: Action[] = live(fixes, sweepMinutes * MINUTE);
          const { events, state } = drive(actions, ctx);
          const held = [...alertOutcomes(ofKind(events, 'went_dark')).values()].filter(
            (o) => o !== 'retracted',
          );
          expect(held).toEqual([]);
          expect(state.open.went_dark).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: a real silence longer than the threshold is reported once and closed, never retracted', () => {
    const ctx = context('excavator');
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 600 }),
        fc.integer({ min: 1, max: 10 }),
        (silentMinutes, sweepMinutes) => {
          const before = working(T0, PLACES.laPampa, 20);
          const after = working(before[19]!.time + silentMinutes * MINUTE, PLACES.laPampa, 5);
          const { events, state } = drive(live([...before, ...after], sweepMinutes * MINUTE), ctx);
          expect([...alertOutcomes(ofKind(events, 'went_dark')).values()]).toEqual(['closed']);
          const close = ofKind(events, 'went_dark').find((e) => e.type === 'integrity_close');
          expect(close?.details.gapMs).toBe(silentMinutes * MINUTE);
          expect(state.open.went_dark).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('raises nothing for a tracker reporting within its interval, with short coverage holes', () => {
    const ctx = context('dredge');
    const fixes = working(T0, PLACES.bocaColoradoSouthBank, 200).filter((_, i) => i % 13 !== 0 || i === 0);
    const held = fixes.map((f, i) =>
      i % 40 < 10 ? { ...f, receivedAt: f.receivedAt + 12 * MINUTE - (i % 40) * MINUTE } : f,
    );
    expect(ofKind(drive(live(held), ctx).events, 'went_dark')).toEqual([]);
  });
});

describe('fixes of untrusted clock', () => {
  const DAY = 24 * HOUR;
  const ctx = context('dredge');
  const working30 = working(T0, PLACES.bocaColoradoRiver, 30);
  // A freshly installed tracker whose first fixes carry a device time 13 days, and decades, old.
  const oldClock = (flags: IntegrityFix['flags']) => [
    fixAt(T0 - 13 * DAY, PLACES.bocaColoradoRiver, { receivedAt: T0 - 2 * MINUTE, flags }),
    fixAt(Date.UTC(1999, 7, 22), PLACES.bocaColoradoRiver, { receivedAt: T0 - MINUTE, flags }),
  ];

  it('would report the silence a device time days or decades old implies, were it trusted', () => {
    const { events } = drive(live([...oldClock([]), ...working30]), ctx);

    expect(ofKind(events, 'went_dark')).not.toEqual([]);
  });

  it('are passed by, so a device time days or decades old opens no alert of any kind', () => {
    const { events, state } = drive(live([...oldClock(['stale_time', 'clock']), ...working30]), ctx);

    expect(events).toEqual([]);
    expect(openAlerts(state)).toEqual([]);
  });
});
