import { DEFAULT_LIMITS } from '@app/telemetry';
import { decode } from './decode.stage';
import { checkPlausibility } from './plausibility.stage';
import { IMEI, emptyState, incoming, jsonFix } from './testing';

const topic = `devices/${IMEI}/fixes`;

describe(checkPlausibility.name, () => {
  it('flags a fix too far from the tracker’s last fix to be reached in time, and keeps it', () => {
    const state = emptyState();
    state.lastFix = { time: Date.parse('2026-11-22T04:58:00Z'), receivedAt: 0, lat: -12.6, lon: -69.2 };
    const item = decode(incoming(topic, jsonFix('2026-11-22T04:59:00Z', -3.7, -73.2)));

    checkPlausibility(item, state);

    expect(item.fixes).toHaveLength(1);
    expect(item.fixes[0]).toMatchObject({ trusted: false, flags: ['impossible_speed'] });
  });

  it('advances the last fix to the newest position on Earth, so the next message is judged against it', () => {
    const state = emptyState();
    const first = decode(
      incoming(topic, {
        fixes: [
          jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2, { speed: 12 }),
          jsonFix('2026-11-22T04:59:30Z', 95, 0),
        ],
      }),
    );
    checkPlausibility(first, state);

    expect(state.lastFix).toMatchObject({
      time: Date.parse('2026-11-22T04:59:00Z'),
      lat: -12.6,
      speedKmh: 12,
    });

    const jump = decode(incoming(topic, jsonFix('2026-11-22T05:00:00Z', -3.7, -73.2)));
    checkPlausibility(jump, state);
    expect(jump.fixes[0]?.flags).toEqual(['impossible_speed']);
  });

  it('checks the fixes of a tracker without a live state on their own', () => {
    const item = decode(incoming(topic, jsonFix('2026-11-22T04:59:00Z', -3.7, -73.2)));

    checkPlausibility(item, undefined);

    expect(item.fixes[0]).toMatchObject({ trusted: true, flags: [] });
  });

  it('flags the clock of a fix timed before the tracker was bound, within the configured tolerances', () => {
    const item = decode(
      incoming(topic, {
        fixes: [jsonFix('2026-11-22T03:59:00Z', -12.6, -69.2), jsonFix('2026-11-22T04:01:00Z', -12.6, -69.2)],
      }),
    );

    checkPlausibility(item, emptyState(), {
      limits: { ...DEFAULT_LIMITS, maxAgeMs: 2 * 3_600_000 },
      boundAt: Date.parse('2026-11-22T04:00:00Z'),
    });

    expect(item.fixes.map((fix) => fix.flags)).toEqual([['clock'], []]);
  });

  it('takes the configured tolerances of the device clock', () => {
    const item = decode(incoming(topic, jsonFix('2026-11-22T03:59:00Z', -12.6, -69.2)));

    checkPlausibility(item, undefined, { limits: { ...DEFAULT_LIMITS, maxAgeMs: 3_600_000 } });

    expect(item.fixes[0]).toMatchObject({ trusted: false, flags: ['stale_time', 'clock'] });
  });

  it('does not make a fix of untrusted clock the last fix the next message is judged against', () => {
    const state = emptyState();
    const item = decode(incoming(topic, jsonFix('2026-11-23T04:59:00Z', -3.7, -73.2)));

    checkPlausibility(item, state);

    expect(item.fixes[0]?.flags).toEqual(['future_time', 'clock']);
    expect(state.lastFix).toBeUndefined();
  });
});
