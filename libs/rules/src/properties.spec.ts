import fc from 'fast-check';
import type { Fix } from './model';
import { parseState, step, type DeviceState } from './step';
import {
  MINUTE,
  PLACES,
  T0,
  applyEvent,
  context,
  episodeSummary,
  ofType,
  run,
  type Place,
  type ReportedEpisode,
} from './testing/world';

interface GeneratedFix {
  inside: boolean;
  gapMs: number;
  hdop: number;
  arrival: number;
}

const QUALITY = fc.constantFrom(0.9, 1.5, 4, 20);

const generatedFix = (
  inside: fc.Arbitrary<boolean>,
  hdop: fc.Arbitrary<number> = QUALITY,
): fc.Arbitrary<GeneratedFix> =>
  fc.record({ inside, gapMs: fc.integer({ min: 10_000, max: 6 * MINUTE }), hdop, arrival: fc.nat() });

/** Fixes in event-time order; `inside` alternates between the reserve and the corridor. */
function toFixes(
  generated: readonly GeneratedFix[],
  insidePlace: Place = PLACES.insideReserve,
  outsidePlace: Place = PLACES.corridorDryLand,
): Fix[] {
  let time = T0;
  return generated.map((g, i) => {
    time += g.gapMs;
    const place = g.inside ? insidePlace : outsidePlace;
    return {
      deviceId: 'dev-p',
      id: `p-${i}`,
      time,
      receivedAt: time + 1_000,
      lat: place.lat,
      lon: place.lon,
      ignition: true,
      speedKmh: 0,
      hdop: g.hdop,
      satellites: 9,
    };
  });
}

/** Arrival order: sorted by the generated arrival key (stable), each fix received when it arrives. */
function arrivalOrder(fixes: readonly Fix[], generated: readonly GeneratedFix[]): Fix[] {
  const order = fixes.map((fix, i) => ({ fix, key: (generated[i] as GeneratedFix).arrival, i }));
  order.sort((a, b) => a.key - b.key || a.i - b.i);
  const lastTime = fixes[fixes.length - 1]?.time ?? T0;
  return order.map(({ fix }, k) => ({ ...fix, receivedAt: Math.max(fix.receivedAt, lastTime + k * 1_000) }));
}

describe('streaming properties', () => {
  const ctx = context('excavator');

  it('reports the same episodes whatever order the fixes arrive in', () => {
    fc.assert(
      fc.property(fc.array(generatedFix(fc.boolean()), { minLength: 1, maxLength: 40 }), (generated) => {
        const fixes = toFixes(generated);
        const inOrder = run(fixes, ctx).events;
        const shuffled = run(arrivalOrder(fixes, generated), ctx).events;
        expect(episodeSummary(shuffled)).toEqual(episodeSummary(inOrder));
      }),
    );
  });

  it('reports the same episodes with a short history, as long as no fix is later than the history reaches', () => {
    const shortHistory = context('excavator', { historyFixes: 8 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(generatedFix(fc.boolean()), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (generatedWithDelay) => {
          const generated = generatedWithDelay.map(([g], i) => ({
            ...g,
            arrival: i + (generatedWithDelay[i] as [GeneratedFix, number])[1],
          }));
          const fixes = toFixes(generated);
          const arrivals = arrivalOrder(fixes, generated);
          const shuffled = run(arrivals, shortHistory).events;
          expect(ofType(shuffled, 'fix_ignored').filter((e) => e.reason === 'beyond_horizon')).toEqual([]);
          expect(episodeSummary(shuffled)).toEqual(episodeSummary(run(fixes, ctx).events));
        },
      ),
    );
  });

  it('keeps the reported episodes consistent in any arrival order: after every fix at most one open episode per signal, closes and revisions only of reported ones', () => {
    const shortHistory = context('excavator', { historyFixes: 6 });
    fc.assert(
      fc.property(fc.array(generatedFix(fc.boolean()), { minLength: 1, maxLength: 50 }), (generated) => {
        const reported = new Map<string, ReportedEpisode>();
        let state: DeviceState | undefined;
        for (const fix of arrivalOrder(toFixes(generated), generated)) {
          const r = step(state, fix, shortHistory);
          state = r.state;
          for (const e of r.events) {
            if (e.type === 'enter' || e.type === 'verdict_open')
              expect(reported.has(e.episodeId)).toBe(false);
            if (e.type === 'exit' || e.type === 'verdict_close') {
              expect(reported.get(e.episodeId)).toBeDefined();
              expect(reported.get(e.episodeId)?.until).toBeUndefined();
            }
            if (e.type === 'revised') expect(reported.has(e.episodeId)).toBe(true);
            applyEvent(reported, e);
          }
          const openKeys = [...reported.values()].filter((ep) => ep.until === undefined).map((ep) => ep.key);
          expect(new Set(openKeys).size).toBe(openKeys.length);
        }
      }),
    );
  });

  it('never revises anything when fixes arrive in event-time order', () => {
    fc.assert(
      fc.property(fc.array(generatedFix(fc.boolean()), { maxLength: 60 }), (generated) => {
        const { events } = run(toFixes(generated), ctx);
        expect(ofType(events, 'revised')).toEqual([]);
      }),
    );
  });

  it('never produces an exit, a second enter or a retraction for a machine that stays inside, in any arrival order', () => {
    fc.assert(
      fc.property(fc.array(generatedFix(fc.constant(true)), { minLength: 1, maxLength: 40 }), (generated) => {
        const fixes = toFixes(generated);
        const { events } = run(arrivalOrder(fixes, generated), ctx);
        const reserveEnters = ofType(events, 'enter').filter((e) => e.zoneId === 'reserve');
        expect(reserveEnters.length).toBeLessThanOrEqual(1);
        expect(ofType(events, 'exit')).toEqual([]);
        expect(ofType(events, 'verdict_close')).toEqual([]);
        for (const revision of ofType(events, 'revised')) expect(revision.changes).toEqual(['start_moved']);
        const inOrderEnters = ofType(run(fixes, ctx).events, 'enter').filter((e) => e.zoneId === 'reserve');
        expect(reserveEnters.length).toBe(inOrderEnters.length);
      }),
    );
  });

  it('never enters on isolated fixes across a boundary, nor exits on isolated fixes out of it', () => {
    const isolated = (main: boolean) =>
      fc
        .array(fc.boolean(), { maxLength: 60 })
        .map((flags) => flags.map((f, i) => (f && !flags[i - 1] ? !main : main)))
        .chain((pattern) =>
          fc.tuple(
            fc.constant(pattern),
            fc.array(fc.integer({ min: 10_000, max: 6 * MINUTE }), {
              minLength: pattern.length,
              maxLength: pattern.length,
            }),
          ),
        );
    const fixesOf = ([pattern, gaps]: [boolean[], number[]]) =>
      toFixes(
        pattern.map((inside, i) => ({ inside, gapMs: gaps[i] as number, hdop: 0.9, arrival: 0 })),
        PLACES.reserveEdgeInside,
        PLACES.reserveEdgeOutside,
      );
    fc.assert(
      fc.property(isolated(false), (track) => {
        const { events } = run(fixesOf(track), ctx);
        expect(ofType(events, 'enter').filter((e) => e.zoneId === 'reserve')).toEqual([]);
      }),
    );
    const lead = toFixes(
      Array.from({ length: 4 }, () => ({ inside: true, gapMs: MINUTE, hdop: 0.9, arrival: 0 })),
      PLACES.reserveEdgeInside,
    );
    fc.assert(
      fc.property(isolated(true), (track) => {
        const tail = fixesOf(track).map((f) => ({
          ...f,
          time: f.time + 10 * MINUTE,
          receivedAt: f.receivedAt + 10 * MINUTE,
        }));
        const { events } = run([...lead, ...tail], ctx);
        expect(ofType(events, 'enter').filter((e) => e.zoneId === 'reserve')).toHaveLength(1);
        expect(ofType(events, 'exit').filter((e) => e.zoneId === 'reserve')).toEqual([]);
      }),
    );
  });

  it('opens the violation of a dark period when its fixes arrive after newer ones, marked late with the delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 4, max: 20 }),
        fc.integer({ min: 4, max: 8 }),
        fc.integer({ min: 30, max: 90 }),
        fc.integer({ min: 1, max: 12 * 60 }),
        (before, darkFixes, afterFixes, everySeconds, uploadDelayMinutes) => {
          const every = everySeconds * 1_000;
          const dark = Math.max(darkFixes, Math.ceil(120 / everySeconds) + 1);
          const after = Math.max(afterFixes, Math.ceil(120 / everySeconds) + 1);
          const pattern = [
            ...Array(before).fill(false),
            ...Array(dark).fill(true),
            ...Array(after).fill(false),
          ] as boolean[];
          const fixes = toFixes(pattern.map((inside) => ({ inside, gapMs: every, hdop: 0.9, arrival: 0 })));
          const live = fixes.filter((_, i) => !pattern[i]);
          const upload = (fixes[fixes.length - 1] as Fix).time + uploadDelayMinutes * MINUTE;
          const buffered = fixes.filter((_, i) => pattern[i]).map((f) => ({ ...f, receivedAt: upload }));
          const { events } = run([...live, ...buffered], ctx);
          const opened = ofType(events, 'verdict_open').filter(
            (e) => e.ruleId === 'operating-in-protected-area',
          );
          expect(opened).toHaveLength(1);
          const [open] = opened;
          expect(open?.since).toBe((fixes[before] as Fix).time);
          expect(open?.late).toBe(true);
          expect(open?.delayMs).toBe(upload - (open?.confirmedAt ?? 0));
          expect(open?.delayMs).toBeGreaterThanOrEqual(uploadDelayMinutes * MINUTE);
          const closed = ofType(events, 'verdict_close').filter((e) => e.episodeId === open?.episodeId);
          expect(closed.map((e) => e.at)).toEqual([(fixes[before + dark] as Fix).time]);
          expect(ofType(events, 'revised').filter((e) => e.zoneId === 'reserve')).toEqual([]);
        },
      ),
    );
  });

  it('continues identically from a state stored as JSON after every fix', () => {
    fc.assert(
      fc.property(fc.array(generatedFix(fc.boolean()), { maxLength: 30 }), (generated) => {
        const arrivals = arrivalOrder(toFixes(generated), generated);
        const inMemory = run(arrivals, ctx).events;
        let stored: string | undefined;
        const events = [];
        for (const fix of arrivals) {
          const r = step(stored === undefined ? undefined : parseState(stored), fix, ctx);
          stored = JSON.stringify(r.state);
          events.push(...r.events);
        }
        expect(events).toEqual(inMemory);
      }),
      { numRuns: 50 },
    );
  });
});
