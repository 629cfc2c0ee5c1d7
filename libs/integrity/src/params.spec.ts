import { DEFAULT_INTEGRITY_PARAMS, categoryParams, darkThresholdMs, integrityParams } from './params';
import { declaredWindow, judgeWindows } from './windows';
import { initialIntegrityState, integrityStep, integritySweep, parseIntegrityState } from './monitor';
import { PLACES } from './testing/places';
import { HOUR, MINUTE, T0, context, fixAt } from './testing/stream';

describe(integrityParams.name, () => {
  it('applies overrides per category over the defaults', () => {
    const p = integrityParams({ categories: { excavator: { darkFactorIgnitionOn: 5 } } });
    expect(darkThresholdMs(categoryParams(p, 'excavator'), true)).toBe(5 * MINUTE);
    expect(darkThresholdMs(categoryParams(p, 'excavator'), false)).toBe(90 * MINUTE);
    expect(categoryParams(p, 'dredge').maxPlausibleSpeedKmh).toBe(110);
    expect(categoryParams(DEFAULT_INTEGRITY_PARAMS, 'backhoe').maxPlausibleSpeedKmh).toBe(130);
  });

  it("takes the tracker's configured reporting intervals over the category's", () => {
    const machine = {
      machineId: 'm',
      category: 'excavator' as const,
      reportingIntervalMs: 10_000,
      reportingIntervalIgnitionOffMs: 3_600_000,
    };
    const c = categoryParams(DEFAULT_INTEGRITY_PARAMS, machine);
    expect(darkThresholdMs(c, true)).toBe(150_000);
    expect(darkThresholdMs(c, undefined)).toBe(150_000);
    expect(darkThresholdMs(c, false)).toBe(3 * 3_600_000);
  });

  it('rejects parameters that would make a detector meaningless, naming the field', () => {
    expect(() => integrityParams({ evidenceFixes: 0 })).toThrow(/evidenceFixes/);
    expect(() => integrityParams({ darkNearZoneMeters: -1 })).toThrow(/darkNearZoneMeters/);
    expect(() => integrityParams({ voltageDropFraction: 1 })).toThrow(/voltageDropFraction/);
    expect(() => integrityParams({ defaults: { darkFactorIgnitionOn: 0.5 } })).toThrow(/dark factors/);
    expect(() => integrityParams({ categories: { excavator: { reportingIntervalMs: Number.NaN } } })).toThrow(
      /categories\.excavator\.reportingIntervalMs/,
    );
    expect(() => integrityParams({ jamGoodHdop: 20 })).toThrow(/jamGoodHdop/);
    expect(() => integrityParams({ legalBasis: ' ' })).toThrow(/legalBasis/);
    expect(integrityParams({ darkNearZoneMeters: 0 }).darkNearZoneMeters).toBe(0);
  });
});

describe(judgeWindows.name, () => {
  const p = DEFAULT_INTEGRITY_PARAMS;
  const w = (
    id: string,
    kind: 'maintenance' | 'out_of_service' | 'authorised_transport',
    from: number,
    to: number,
  ) => ({
    id,
    kind,
    from,
    to,
  });

  it('downgrades a violation overlapping a covering window, names the earliest, keeps warnings warnings', () => {
    const windows = [w('b', 'out_of_service', T0, T0 + HOUR), w('a', 'maintenance', T0 - HOUR, T0 + HOUR)];
    expect(judgeWindows('went_dark', 'violation', T0, T0 + MINUTE, windows, p)).toEqual({
      severity: 'warning',
      downgradedBy: {
        windowId: 'a',
        windowKind: 'maintenance',
        reason: 'dentro del periodo declarado de mantenimiento a',
        reasonEn: 'inside the declared maintenance window a',
      },
    });
    expect(judgeWindows('went_dark', 'warning', T0, T0, windows, p).downgradedBy?.windowId).toBe('a');
  });

  it('ignores windows that end before the alert, start after it, or do not cover its kind', () => {
    const windows = [
      w('past', 'maintenance', T0 - 2 * HOUR, T0),
      w('future', 'maintenance', T0 + HOUR, T0 + 2 * HOUR),
    ];
    expect(judgeWindows('tamper', 'violation', T0, T0 + MINUTE, windows, p)).toEqual({
      severity: 'violation',
    });
    const transport = [w('t', 'authorised_transport', T0, T0 + HOUR)];
    expect(judgeWindows('spoofing', 'violation', T0, T0, transport, p)).toEqual({ severity: 'violation' });
  });
});

describe('monitor state', () => {
  it('refuses a state of another version or another device', () => {
    const json = JSON.stringify(initialIntegrityState('trk-1'));
    expect(parseIntegrityState(json, 'trk-1').deviceId).toBe('trk-1');
    expect(() => parseIntegrityState(json, 'trk-2')).toThrow(/trk-1/);
    expect(() => parseIntegrityState(JSON.stringify({ v: 99 }))).toThrow(/version 99/);
    const ctx = context('excavator', { deviceId: 'trk-2' });
    expect(() => integritySweep(initialIntegrityState('trk-1'), T0, ctx)).toThrow(/trk-1/);
  });

  it('quotes the last status message in a went-dark alert', () => {
    const ctx = context('excavator');
    let state = integrityStep(undefined, { type: 'fix', fix: fixAt(T0, PLACES.laPampa) }, ctx).state;
    state = integrityStep(
      state,
      { type: 'status', status: { state: 'offline', receivedAt: T0 + MINUTE, reason: 'shutdown' } },
      ctx,
    ).state;
    const [open] = integritySweep(state, T0 + HOUR, ctx).events;
    expect(open?.details).toMatchObject({ lastStatus: 'offline', lastStatusReason: 'shutdown' });
  });
});

describe(declaredWindow.name, () => {
  it('takes a stored window with dates, and refuses an unknown kind', () => {
    expect(
      declaredWindow({
        id: 'w',
        kind: 'out_of_service',
        from: new Date(T0),
        to: new Date(T0 + HOUR),
        reason: null,
      }),
    ).toEqual({ id: 'w', kind: 'out_of_service', from: T0, to: T0 + HOUR });
    expect(() => declaredWindow({ id: 'w', kind: 'holiday', from: T0, to: T0 + HOUR })).toThrow(/holiday/);
  });
});
