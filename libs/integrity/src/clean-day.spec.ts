import fc from 'fast-check';
import { openAlerts } from './monitor';
import { CLEAN_DAY_FLEET, cleanDay, random } from './testing/clean-day';
import { HOUR, MINUTE, SECOND, T0, alertOutcomes, context, drive, live } from './testing/stream';

describe('a clean simulated day of normal operation', () => {
  const dayStart = T0 - 5 * HOUR;

  it.each(CLEAN_DAY_FLEET.map((plan) => [plan.category, plan] as const))(
    'raises no integrity alert for a %s at work, parked, carried and out of coverage for a few minutes',
    (_category, plan) => {
      const fixes = cleanDay(plan, dayStart);
      expect(fixes.length).toBeGreaterThan(500);
      const { events, state, maxStateBytes } = drive(
        live(fixes, MINUTE, dayStart + 24 * HOUR + 20 * MINUTE),
        context(plan.category),
      );
      expect(events).toEqual([]);
      expect(openAlerts(state)).toEqual([]);
      expect(maxStateBytes).toBeLessThan(20_000);
    },
  );

  it('is not clean by accident: the same day with the tracker off for two hours raises exactly that', () => {
    const plan = CLEAN_DAY_FLEET[0]!;
    const fixes = cleanDay(plan, dayStart).filter(
      (f) => f.time < dayStart + 14 * HOUR || f.time >= dayStart + 16 * HOUR,
    );
    const { events } = drive(live(fixes, MINUTE, dayStart + 24 * HOUR), context(plan.category));
    expect(new Set(events.map((e) => `${e.kind} ${e.alertId}`)).size).toBe(1);
    expect(events[0]).toMatchObject({ kind: 'went_dark', type: 'integrity_open' });
    expect(events[events.length - 1]).toMatchObject({ kind: 'went_dark', type: 'integrity_close' });
  });
});

describe('a clean day delivered late and out of order', () => {
  const dayStart = T0 - 5 * HOUR;

  it('property: buffered delivery in any order raises no alert that stays, and only went-dark ones at all', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: CLEAN_DAY_FLEET.length - 1 }),
        fc.integer({ min: 0, max: 20 * 60 }),
        fc.integer({ min: 30, max: 180 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (machine, startMinute, minutes, seed) => {
          const plan = CLEAN_DAY_FLEET[machine]!;
          const rnd = random(seed);
          const outageFrom = dayStart + startMinute * MINUTE;
          const outageTo = outageFrom + minutes * MINUTE;
          // Out of coverage: everything taken meanwhile arrives after it, in batches in random order.
          const fixes = cleanDay(plan, dayStart).map((f) =>
            f.time >= outageFrom && f.time < outageTo
              ? { ...f, receivedAt: outageTo + Math.floor(rnd() * 10) * SECOND }
              : f,
          );
          const { events, state } = drive(
            live(fixes, MINUTE, dayStart + 24 * HOUR + 20 * MINUTE),
            context(plan.category),
          );
          expect(events.filter((e) => e.kind !== 'went_dark')).toEqual([]);
          expect([...alertOutcomes(events).values()].filter((o) => o !== 'retracted')).toEqual([]);
          expect(openAlerts(state)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
