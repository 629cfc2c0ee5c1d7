import { DEFAULT_LIMITS } from './options';
import { assessPlausibility, FixDraft } from './plausibility';

const receivedAt = new Date('2026-11-22T05:00:00Z');
const draft = (overrides: Partial<FixDraft> = {}): FixDraft => ({
  deviceId: '356307042441013',
  source: 'json',
  time: Date.parse('2026-11-22T04:59:00Z'),
  receivedAt: receivedAt.getTime(),
  lat: -12.0464,
  lon: -77.0428,
  events: [],
  index: 0,
  ...overrides,
});
const at = (iso: string) => Date.parse(iso);
const flagsOf = (drafts: FixDraft[], previousFix?: Parameters<typeof assessPlausibility>[3]) =>
  assessPlausibility(drafts, receivedAt, DEFAULT_LIMITS, previousFix).map((fix) => fix.flags);

describe(assessPlausibility.name, () => {
  it('trusts a plain fix', () => {
    expect(assessPlausibility([draft()], receivedAt, DEFAULT_LIMITS)).toEqual([
      { ...draft(), flags: [], trusted: true },
    ]);
  });

  it.each([
    ['null_island', { lat: 0, lon: 0 }],
    ['out_of_range', { lat: -91 }],
    ['out_of_range', { lon: 180.5 }],
    ['no_gnss_fix', { satellites: 0 }],
    ['low_quality', { satellites: 3 }],
    ['low_quality', { hdop: 10.1 }],
  ] as const)('flags %s for %p', (flag, overrides) => {
    const [fix] = assessPlausibility([draft(overrides)], receivedAt, DEFAULT_LIMITS);

    expect(fix!.flags).toEqual([flag]);
    expect(fix!.trusted).toBe(false);
  });

  it.each([
    ['future_time', { time: at('2026-11-22T05:05:01Z') }],
    ['stale_time', { time: at('2026-11-15T04:59:59Z') }],
    ['stale_time', { time: at('1996-01-06T00:00:00Z') }],
  ] as const)(
    'flags the clock (%s) of a fix timed beyond the tolerance of its receipt: %p',
    (flag, overrides) => {
      const [fix] = assessPlausibility([draft(overrides)], receivedAt, DEFAULT_LIMITS);

      expect(fix!.flags).toEqual([flag, 'clock']);
      expect(fix!.trusted).toBe(false);
    },
  );

  it.each([
    ['exactly 5 minutes ahead', { time: at('2026-11-22T05:05:00Z') }],
    ['4 satellites and HDOP 10', { satellites: 4, hdop: 10 }],
    ['exactly 7 days old', { time: at('2026-11-15T05:00:00Z') }],
  ])('does not flag a fix at the limit: %s', (_, overrides) => {
    expect(flagsOf([draft(overrides)])).toEqual([[]]);
  });

  it('honours configured limits', () => {
    const limits = { ...DEFAULT_LIMITS, maxFutureSkewMs: 0, minSatellites: 6 };
    const [fix] = assessPlausibility(
      [draft({ time: at('2026-11-22T05:00:01Z'), satellites: 5 })],
      receivedAt,
      limits,
    );

    expect(fix!.flags).toEqual(['low_quality', 'future_time', 'clock']);
  });

  it('flags the clock of a fix timed before its tracker was bound, and trusts the fixes after', () => {
    const boundAt = at('2026-11-20T12:00:00Z');
    const fixes = assessPlausibility(
      [
        draft({ time: at('2026-11-20T11:59:59Z') }),
        draft({ time: at('2026-11-20T12:00:00Z') }),
        draft({ time: at('2026-11-22T04:59:00Z') }),
      ],
      receivedAt,
      DEFAULT_LIMITS,
      undefined,
      boundAt,
    );

    expect(fixes.map((fix) => fix.flags)).toEqual([['clock'], [], []]);
    expect(fixes.map((fix) => fix.trusted)).toEqual([false, true, true]);
  });

  it('neither judges a fix of untrusted clock by its implied speed nor judges the next fix against it', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:58:00Z'), lat: -12.0 }),
      draft({ time: at('2026-11-22T05:30:00Z'), lat: -3.7 }),
      draft({ time: at('2026-11-22T04:59:00Z'), lat: -12.001 }),
    ]);

    expect(flags).toEqual([[], ['future_time', 'clock'], []]);
  });

  it('flags the later of two fixes whose implied speed is impossible', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:58:00Z'), lat: -12.0 }),
      draft({ time: at('2026-11-22T04:59:00Z'), lat: -11.9 }),
    ]);

    expect(flags).toEqual([[], ['impossible_speed']]);
  });

  it('judges implied speed in device-time order, whatever the batch order', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:59:00Z'), lat: -11.9 }),
      draft({ time: at('2026-11-22T04:58:00Z'), lat: -12.0 }),
    ]);

    expect(flags).toEqual([['impossible_speed'], []]);
  });

  it('does not let one wild fix cast doubt on the good fix after it', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:57:00Z'), lat: -12.0 }),
      draft({ time: at('2026-11-22T04:58:00Z'), lat: -5.0 }),
      draft({ time: at('2026-11-22T04:59:00Z'), lat: -12.001 }),
    ]);

    expect(flags).toEqual([[], ['impossible_speed'], []]);
  });

  it('does not measure speed from a null-island fix', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:58:00Z'), lat: 0, lon: 0 }),
      draft({ time: at('2026-11-22T04:59:00Z') }),
    ]);

    expect(flags).toEqual([['null_island'], []]);
  });

  it('measures the first fix against the previous stored fix', () => {
    const previousFix = { time: at('2026-11-22T04:58:30Z'), lat: -12.3, lon: -77.0428 };

    expect(flagsOf([draft()], previousFix)).toEqual([['impossible_speed']]);
    expect(flagsOf([draft()], { ...previousFix, lat: -12.047 })).toEqual([[]]);
  });

  it('places the previous stored fix in time order among the fixes of a late batch', () => {
    const previousFix = { time: at('2026-11-22T04:59:00Z'), lat: -12.5, lon: -77.0428 };
    const flags = flagsOf(
      [
        draft({ time: at('2026-11-22T04:58:00Z'), lat: -12.0 }),
        draft({ time: at('2026-11-22T04:59:30Z'), lat: -12.5 }),
      ],
      previousFix,
    );

    expect(flags).toEqual([[], []]);
  });

  it('measures a fix taken at the same time as the previous stored fix against it', () => {
    const previousFix = { time: at('2026-11-22T04:59:00Z'), lat: -12.3, lon: -77.0428 };

    expect(flagsOf([draft()], previousFix)).toEqual([['impossible_speed']]);
  });

  it('measures nothing against a previous stored fix newer than the batch', () => {
    const previousFix = { time: at('2026-11-22T05:00:00Z'), lat: -12.3, lon: -77.0428 };

    expect(flagsOf([draft()], previousFix)).toEqual([[]]);
  });

  it('allows a plausible drive: 1 km in one minute is 60 km/h', () => {
    const flags = flagsOf([
      draft({ time: at('2026-11-22T04:58:00Z'), lat: -12.0 }),
      draft({ time: at('2026-11-22T04:59:00Z'), lat: -12.009 }),
    ]);

    expect(flags).toEqual([[], []]);
  });
});
