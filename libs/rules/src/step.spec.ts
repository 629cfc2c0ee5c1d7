import type { Fix } from './model';
import { step, parseState, initialState } from './step';
import { MINUTE, PLACES, T0, context, episodeSummary, ofType, repeat, run, track } from './testing/world';

describe(step.name, () => {
  describe('confirmation', () => {
    it('opens a DL 1100 violation once a dredge has stayed on the river for the minimum dwell', () => {
      const ctx = context('dredge');
      const fixes = track(repeat(PLACES.riverInCorridor, 4));
      const early = run(fixes.slice(0, 2), ctx);
      expect(ofType(early.events, 'verdict_open')).toEqual([]);
      expect(ofType(early.events, 'enter')).toEqual([]);

      const { events } = run(fixes.slice(2), ctx, early.state);
      const [verdict, ...others] = ofType(events, 'verdict_open');
      expect(others).toEqual([]);
      expect(verdict).toMatchObject({
        ruleId: 'dredge-in-water-body',
        verdict: 'violation',
        zoneId: 'river',
        at: T0,
        since: T0,
        confirmedAt: T0 + 2 * MINUTE,
        catalogueVersion: 'test-catalogue-1',
        late: false,
      });
      expect(verdict?.legalBasis).toContain('1100');
      expect(verdict?.fixes.map((f) => f.id)).toEqual(['fix-0', 'fix-1', 'fix-2']);
      expect(
        ofType(events, 'enter')
          .map((e) => e.zoneId)
          .sort(),
      ).toEqual(['corridor', 'dep-17', 'river']);
    });

    it('gives every applicable rule its own verdict: a dredge on the river north of the corridor breaks DL 1100 and DU 012-2010', () => {
      const { events } = run(track(repeat(PLACES.riverNorthOfCorridor, 3)), context('dredge'));
      const verdicts = ofType(events, 'verdict_open').map((e) => `${e.ruleId}@${e.zoneId}`);
      expect(verdicts.sort()).toEqual([
        'dredge-in-water-body@river',
        'operating-outside-mining-corridor@dep-17',
      ]);
    });

    it('does not let the corridor cancel DL 1100: a dredge on the river inside the corridor is in violation', () => {
      const { events } = run(track(repeat(PLACES.riverInCorridor, 3)), context('dredge'));
      expect(ofType(events, 'verdict_open').map((e) => e.ruleId)).toEqual(['dredge-in-water-body']);
    });

    it('raises no verdict for an excavator working inside the corridor', () => {
      const { events } = run(track(repeat(PLACES.corridorDryLand, 10)), context('excavator'));
      expect(ofType(events, 'verdict_open')).toEqual([]);
      expect(
        ofType(events, 'enter')
          .map((e) => e.zoneId)
          .sort(),
      ).toEqual(['corridor', 'dep-17']);
    });

    it('opens a violation for an excavator operating in the reserve and a warning in its buffer zone', () => {
      const inReserve = run(track(repeat(PLACES.insideReserve, 3)), context('excavator')).events;
      expect(ofType(inReserve, 'verdict_open').map((e) => `${e.ruleId}:${e.verdict}`)).toContain(
        'operating-in-protected-area:violation',
      );
      const inBuffer = run(track(repeat(PLACES.bufferOnly, 3)), context('excavator')).events;
      expect(ofType(inBuffer, 'verdict_open').map((e) => `${e.ruleId}:${e.verdict}`)).toContain(
        'operating-in-buffer-zone:warning',
      );
    });

    it('raises no verdict for a machine transported through the reserve or parked there with the ignition off', () => {
      const carried = run(
        track(repeat(PLACES.insideReserve, 5), { extra: { speedKmh: 45 } }),
        context('excavator'),
      );
      const parked = run(
        track(repeat(PLACES.insideReserve, 5), { extra: { ignition: false } }),
        context('excavator'),
      );
      expect(ofType(carried.events, 'verdict_open')).toEqual([]);
      expect(ofType(parked.events, 'verdict_open')).toEqual([]);
      expect(ofType(carried.events, 'enter').map((e) => e.zoneId)).toContain('reserve');
    });
  });

  describe('hysteresis and quality', () => {
    it('ignores a single jittery fix across the reserve boundary', () => {
      const places = [
        ...repeat(PLACES.reserveEdgeOutside, 4),
        PLACES.reserveEdgeInside,
        ...repeat(PLACES.reserveEdgeOutside, 4),
      ];
      const { events } = run(track(places), context('excavator'));
      expect(ofType(events, 'enter').map((e) => e.zoneId)).not.toContain('reserve');
      expect(ofType(events, 'verdict_open').map((e) => e.ruleId)).not.toContain(
        'operating-in-protected-area',
      );
    });

    it('confirms nothing for a track jittering half in, half out of the reserve', () => {
      const places = Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0 ? PLACES.reserveEdgeInside : PLACES.reserveEdgeOutside,
      );
      const { events } = run(track(places), context('excavator'));
      expect(ofType(events, 'enter').map((e) => e.zoneId)).not.toContain('reserve');
    });

    it('does not close a violation on a single fix outside', () => {
      const places = [
        ...repeat(PLACES.insideReserve, 5),
        PLACES.bufferOnly,
        ...repeat(PLACES.insideReserve, 5),
      ];
      const { events } = run(track(places), context('excavator'));
      expect(ofType(events, 'exit').map((e) => e.zoneId)).not.toContain('reserve');
      expect(ofType(events, 'verdict_close')).toEqual([]);
    });

    it('closes the verdict once the machine has been out for the minimum time and fixes, dated at the first fix outside', () => {
      const places = [...repeat(PLACES.insideReserve, 5), ...repeat(PLACES.corridorDryLand, 4)];
      const { events } = run(track(places), context('excavator'));
      const [close] = ofType(events, 'verdict_close').filter(
        (e) => e.ruleId === 'operating-in-protected-area',
      );
      expect(close).toMatchObject({ at: T0 + 5 * MINUTE, confirmedAt: T0 + 7 * MINUTE, dwellMs: 5 * MINUTE });
    });

    it('needs twice as many fixes when they are poor, and ignores unusable ones', () => {
      const poor = track(repeat(PLACES.insideReserve, 6), { extra: { hdop: 4 } });
      const afterFive = run(poor.slice(0, 5), context('excavator'));
      expect(ofType(afterFive.events, 'enter')).toEqual([]);
      const afterSix = run(poor.slice(5), context('excavator'), afterFive.state);
      expect(ofType(afterSix.events, 'enter').map((e) => e.zoneId)).toContain('reserve');

      const unusable = run(
        track(repeat(PLACES.insideReserve, 6), { extra: { hdop: 25 } }),
        context('excavator'),
      );
      expect(ofType(unusable.events, 'enter')).toEqual([]);
      expect(ofType(unusable.events, 'fix_ignored').map((e) => e.reason)).toEqual(Array(6).fill('unusable'));
    });

    it('reports dwell while presence lasts', () => {
      const { events } = run(track(repeat(PLACES.riverInCorridor, 40)), context('dredge'));
      const dwell = ofType(events, 'verdict_update').filter((e) => e.ruleId === 'dredge-in-water-body');
      expect(dwell.map((e) => e.dwellMs)).toEqual([15 * MINUTE, 30 * MINUTE]);
      expect(dwell.map((e) => e.fixes.map((f) => f.id))).toEqual([['fix-15'], ['fix-30']]);
    });
  });

  describe('late and out-of-order fixes', () => {
    it('marks a violation revealed by a buffered upload as late, with the delay', () => {
      const uploadedAt = T0 + 3 * 60 * MINUTE;
      const fixes = track(repeat(PLACES.riverInCorridor, 4)).map((f) => ({ ...f, receivedAt: uploadedAt }));
      const [open] = ofType(run(fixes, context('dredge')).events, 'verdict_open');
      expect(open).toMatchObject({
        late: true,
        confirmedAt: T0 + 2 * MINUTE,
        delayMs: uploadedAt - (T0 + 2 * MINUTE),
      });
    });

    it('evaluates a backlog arriving after a newer live fix in event-time order and still opens the violation', () => {
      const before = track(repeat(PLACES.corridorDryLand, 3));
      const dark = track(repeat(PLACES.riverInCorridor, 6), { start: T0 + 3 * MINUTE });
      const live = track([PLACES.corridorDryLand], { start: T0 + 9 * MINUTE });
      const upload = T0 + 9 * MINUTE + 30_000;
      const arrivals = [...before, ...live, ...dark.map((f) => ({ ...f, receivedAt: upload }))];
      const { events } = run(arrivals, context('dredge'));
      const [open, ...more] = ofType(events, 'verdict_open');
      expect(more).toEqual([]);
      expect(open).toMatchObject({
        ruleId: 'dredge-in-water-body',
        since: T0 + 3 * MINUTE,
        late: true,
        detectedAt: upload,
      });
      expect(ofType(events, 'revised')).toEqual([]);
    });

    it('produces no exit/enter pair when a fix from inside arrives after newer ones', () => {
      const fixes = track(repeat(PLACES.insideReserve, 10));
      const arrivals = [...fixes.slice(0, 4), ...fixes.slice(5), fixes[4] as (typeof fixes)[number]];
      const { events } = run(arrivals, context('excavator'));
      expect(ofType(events, 'enter').filter((e) => e.zoneId === 'reserve')).toHaveLength(1);
      expect(ofType(events, 'exit')).toEqual([]);
      expect(ofType(events, 'revised')).toEqual([]);
    });

    it('moves the start of an episode earlier when older fixes from inside arrive', () => {
      const fixes = track(repeat(PLACES.insideReserve, 6));
      const { events } = run([...fixes.slice(3), ...fixes.slice(0, 3)], context('excavator'));
      const reserveEnter = ofType(events, 'enter').find((e) => e.zoneId === 'reserve');
      const revisions = ofType(events, 'revised').filter(
        (e) => e.subject === 'zone' && e.zoneId === 'reserve',
      );
      expect(reserveEnter?.since).toBe(T0 + 3 * MINUTE);
      expect(revisions.at(-1)).toMatchObject({
        episodeId: reserveEnter?.episodeId,
        since: T0,
        changes: ['start_moved'],
      });
    });

    it('revokes an exit and retracts the re-entry when late fixes show the machine never left', () => {
      const live = track([
        ...repeat(PLACES.insideReserve, 5),
        ...repeat(PLACES.corridorDryLand, 4),
        ...repeat(PLACES.insideReserve, 5),
      ]);
      const seenInside = track(repeat(PLACES.insideReserve, 4), { start: T0 + 5 * MINUTE + 30_000 }).map(
        (f, i) => ({
          ...f,
          id: `late-${i}`,
          receivedAt: T0 + 20 * MINUTE,
        }),
      );
      const ctx = context('excavator');
      const first = run(live, ctx);
      const reserveEnters = ofType(first.events, 'enter').filter((e) => e.zoneId === 'reserve');
      expect(reserveEnters).toHaveLength(2);
      const [firstStay, secondStay] = reserveEnters;

      const { events } = run(seenInside, ctx, first.state);
      const zoneRevisions = ofType(events, 'revised').filter(
        (e) => e.subject === 'zone' && e.zoneId === 'reserve',
      );
      expect(zoneRevisions.map((e) => [e.episodeId, e.changes])).toEqual([
        [secondStay?.episodeId, ['retracted']],
        [firstStay?.episodeId, ['exit_revoked']],
      ]);
      expect(episodeSummary([...first.events, ...events]).filter((e) => e.startsWith('z|reserve'))).toEqual([
        `z|reserve ${T0}..open`,
      ]);
    });

    it('ignores a fix delivered twice', () => {
      const fixes = track(repeat(PLACES.insideReserve, 5));
      const { events } = run([...fixes, fixes[2] as (typeof fixes)[number]], context('excavator'));
      expect(ofType(events, 'fix_ignored').map((e) => e.reason)).toEqual(['duplicate']);
    });

    it('reports fixes older than the kept history instead of replaying them', () => {
      const ctx = context('excavator', { historyFixes: 5 });
      const fixes = track(repeat(PLACES.insideReserve, 12));
      const { events } = run([...fixes.slice(1), fixes[0] as (typeof fixes)[number]], ctx);
      expect(ofType(events, 'fix_ignored').map((e) => e.reason)).toEqual(['beyond_horizon']);
    });
  });

  describe('segment crossing', () => {
    const crossingTrack = (extra = {}) =>
      track(
        [PLACES.westBankInCorridor, PLACES.eastBankInCorridor].flatMap((p) => repeat(p, 3)),
        { everyMs: 10 * MINUTE, extra },
      );

    it('detects a river crossed between two sparse fixes on both banks', () => {
      const { events } = run(crossingTrack(), context('dredge'));
      const [crossing, ...others] = ofType(events, 'crossing');
      expect(others).toEqual([]);
      expect(crossing).toMatchObject({ zoneId: 'river', from: { id: 'fix-2' }, to: { id: 'fix-3' } });
      expect(crossing?.at).toBeGreaterThan(T0 + 20 * MINUTE);
      expect(crossing?.at).toBeLessThan(T0 + 30 * MINUTE);
      expect(crossing?.sampleSpacingMeters).toBeLessThanOrEqual(40);
      expect(crossing?.verdicts.map((v) => v.ruleId)).toEqual(['dredge-in-water-body']);
    });

    it('attaches no verdict to a crossing while the machine is transported', () => {
      const { events } = run(crossingTrack({ towing: true }), context('dredge'));
      const [crossing] = ofType(events, 'crossing');
      expect(crossing?.zoneId).toBe('river');
      expect(crossing?.verdicts).toEqual([]);
    });
  });

  describe('state', () => {
    it('is plain JSON: a state read back from storage continues exactly like the one in memory', () => {
      const ctx = context('dredge');
      const fixes = track([
        ...repeat(PLACES.corridorDryLand, 3),
        ...repeat(PLACES.riverInCorridor, 8),
        ...repeat(PLACES.corridorDryLand, 5),
      ]);
      const inMemory = run(fixes, ctx);
      let stored = JSON.stringify(initialState('dev-1'));
      const events = [];
      for (const fix of fixes) {
        const r = step(parseState(stored), fix, ctx);
        stored = JSON.stringify(r.state);
        events.push(...r.events);
      }
      expect(events).toEqual(inMemory.events);
      expect(JSON.parse(stored)).toEqual(JSON.parse(JSON.stringify(inMemory.state)));
    });

    it('refuses the state of another device', () => {
      const fix = track([PLACES.insideReserve], { deviceId: 'dev-2' })[0] as Fix;
      expect(() => step(initialState('dev-1'), fix, context('excavator'))).toThrow(/dev-2/);
    });

    it('rejects a state of another format version', () => {
      expect(() => parseState(JSON.stringify({ ...initialState('d'), v: 0 }))).toThrow(/version/);
    });
  });
});
