import { classifyActivity, fixWeight } from './classify';
import type { Fix } from './model';
import { DEFAULT_STREAM_PARAMS as params, streamParams } from './params';

const fix = (extra: Partial<Fix> = {}): Fix => ({
  deviceId: 'd',
  time: 1,
  receivedAt: 1,
  lat: -12.6,
  lon: -69.2,
  ...extra,
});

describe(classifyActivity.name, () => {
  it.each([
    [{ ignition: true, speedKmh: 3 }, 'operating'],
    [{ ignition: true, speedKmh: 15 }, 'transported'],
    [{ ignition: false, speedKmh: 0 }, 'idle'],
    [{ ignition: false, towing: true }, 'transported'],
    [{}, 'operating'],
  ] as const)('classifies %j as %s', (extra, activity) => {
    expect(classifyActivity(fix(extra), params)).toBe(activity);
  });
});

describe(fixWeight.name, () => {
  it.each([
    [{ hdop: 1, satellites: 9 }, 1],
    [{}, 1],
    [{ hdop: 3, satellites: 9 }, 0.5],
    [{ hdop: 1, satellites: 5 }, 0.5],
    [{ hdop: 9 }, 0],
    [{ satellites: 3 }, 0],
    [{ lat: 0, lon: 0 }, 0],
    [{ lat: 95 }, 0],
    [{ time: Number.NaN }, 0],
  ] as const)('weighs %j as %d', (extra, weight) => {
    expect(fixWeight(fix(extra), params)).toBe(weight);
  });
});

describe(streamParams.name, () => {
  it('rejects parameters that would make the hysteresis meaningless', () => {
    expect(() => streamParams({ enterFixes: 0 })).toThrow(/enterFixes/);
    expect(() => streamParams({ maxHdop: 1 })).toThrow(/maxHdop/);
    expect(() => streamParams({ poorFixWeight: 2 })).toThrow(/poorFixWeight/);
    expect(streamParams({ enterMs: 0 }).enterMs).toBe(0);
  });
});
