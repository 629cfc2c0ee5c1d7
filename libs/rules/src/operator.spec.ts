import { from, lastValueFrom, toArray } from 'rxjs';
import type { RuleEvent } from './events';
import type { Fix } from './model';
import { evaluateDevices, ruleEvents } from './operator';
import { initialState, step } from './step';
import { PLACES, WORLD, context, repeat, track } from './testing/world';

const machineOf = (deviceId: string) => ({
  machineId: `machine-of-${deviceId}`,
  category: deviceId.startsWith('dredge') ? ('dredge' as const) : ('excavator' as const),
});

/** Fixes of several devices interleaved the way a broker delivers them. */
function interleave(...tracks: Fix[][]): Fix[] {
  const out: Fix[] = [];
  for (let i = 0; tracks.some((t) => i < t.length); i++)
    for (const t of tracks) if (t[i]) out.push(t[i] as Fix);
  return out;
}

describe(evaluateDevices.name, () => {
  it('keeps one state per device, so interleaved devices give the same events as each device alone', async () => {
    const dredge = track(repeat(PLACES.riverInCorridor, 6), { deviceId: 'dredge-1' });
    const excavator = track(repeat(PLACES.insideReserve, 6), { deviceId: 'exc-1' });
    const events = await lastValueFrom(
      from(interleave(dredge, excavator)).pipe(ruleEvents({ lookup: WORLD, machineOf }), toArray()),
    );

    const alone = (fixes: Fix[], category: 'dredge' | 'excavator', deviceId: string): RuleEvent[] => {
      const ctx = { ...context(category), machine: machineOf(deviceId) };
      let state = initialState(deviceId);
      return fixes.flatMap((f) => {
        const r = step(state, f, ctx);
        state = r.state;
        return r.events;
      });
    };
    expect(events.filter((e) => e.deviceId === 'dredge-1')).toEqual(alone(dredge, 'dredge', 'dredge-1'));
    expect(events.filter((e) => e.deviceId === 'exc-1')).toEqual(alone(excavator, 'excavator', 'exc-1'));
    expect(
      events.filter((e) => e.type === 'verdict_open').map((e) => `${e.deviceId}:${e.machineId}`),
    ).toContain('dredge-1:machine-of-dredge-1');
  });

  it('hands out each device state after every fix, and resumes from a stored one', async () => {
    const fixes = track(repeat(PLACES.insideReserve, 6), { deviceId: 'exc-2' });
    const firstHalf = await lastValueFrom(
      from(fixes.slice(0, 2)).pipe(evaluateDevices({ lookup: WORLD, machineOf }), toArray()),
    );
    expect(firstHalf.map((s) => s.fix.id)).toEqual(['fix-0', 'fix-1']);
    const stored = JSON.stringify(firstHalf.at(-1)?.state);

    const resumed = await lastValueFrom(
      from(fixes.slice(2)).pipe(
        ruleEvents({ lookup: WORLD, machineOf, initialState: () => JSON.parse(stored) }),
        toArray(),
      ),
    );
    const uninterrupted = await lastValueFrom(
      from(fixes).pipe(ruleEvents({ lookup: WORLD, machineOf }), toArray()),
    );
    expect(resumed).toEqual(uninterrupted.filter((e) => e.detectedAt >= (fixes[2] as Fix).receivedAt));
    expect(resumed.some((e) => e.type === 'verdict_open')).toBe(true);
  });
});
