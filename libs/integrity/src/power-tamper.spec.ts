import type { IntegrityFix } from './model';
import { openAlerts } from './monitor';
import { PLACES, between } from './testing/places';
import { MINUTE, T0, context, drive, fixAt, ofKind } from './testing/stream';

const along = (n: number, extra: (i: number) => Partial<IntegrityFix>): IntegrityFix[] =>
  Array.from({ length: n }, (_, i) =>
    fixAt(T0 + i * MINUTE, between(PLACES.laberintoTown, PLACES.laberintoPort, i / (n * 10)), extra(i)),
  );
const feed = (fixes: IntegrityFix[], category: Parameters<typeof context>[0] = 'excavator') =>
  drive(
    fixes.map((fix) => ({ fix })),
    context(category),
  );

describe('power cut', () => {
  it('opens a violation on the power_cut event and closes it on power_restored', () => {
    const fixes = along(20, (i) =>
      i === 5
        ? { events: ['power_cut'], externalVoltageV: 0.2 }
        : i > 5 && i < 12
          ? { externalVoltageV: 0.1 }
          : i === 12
            ? { events: ['power_restored'], externalVoltageV: 27.4 }
            : {},
    );
    const { events, state } = feed(fixes);
    const power = ofKind(events, 'power_cut');
    expect(power.map((e) => e.type)).toEqual(['integrity_open', 'integrity_close']);
    expect(power[0]).toMatchObject({
      severity: 'violation',
      cause: 'power_cut_event',
      since: fixes[5]?.time,
      details: { externalVoltageV: 0.2 },
    });
    expect(power[1]?.at).toBe(fixes[12]?.time);
    expect(openAlerts(state)).toEqual([]);
  });

  it('detects a cut supply from the voltage alone, after a healthy reading', () => {
    const fixes = along(12, (i) => ({ externalVoltageV: i >= 6 && i < 9 ? 0.4 : 24.8 }));
    const power = ofKind(feed(fixes).events, 'power_cut');
    expect(power.map((e) => [e.type, e.cause])).toEqual([
      ['integrity_open', 'voltage_lost'],
      ['integrity_close', 'voltage_lost'],
    ]);
    expect(power[0]?.details.healthyVoltageV).toBeCloseTo(24.8, 1);
  });

  it('warns on a sustained voltage drop but not on the dip of an engine start', () => {
    const dip = along(10, (i) =>
      i === 4 ? { externalVoltageV: 14, events: ['ignition_on'] } : { externalVoltageV: 25.2 },
    );
    expect(ofKind(feed(dip).events, 'power_cut')).toEqual([]);
    const sagging = along(10, (i) => ({ externalVoltageV: i >= 4 ? 14 : 25.2 }));
    const [open] = ofKind(feed(sagging).events, 'power_cut');
    expect(open).toMatchObject({
      type: 'integrity_open',
      severity: 'warning',
      cause: 'voltage_drop',
      since: sagging[5]?.time,
    });
  });

  it('does not call a tracker without external voltage wiring cut', () => {
    const fixes = along(10, () => ({ externalVoltageV: 0 }));
    expect(ofKind(feed(fixes).events, 'power_cut')).toEqual([]);
  });
});

describe('tamper, unplug, towing', () => {
  it('opens a violation when the tracker is unplugged on the Laberinto port and closes it 30 min after the last report', () => {
    const fixes = along(60, (i) => (i === 10 ? { events: ['unplug'], unplugged: true } : {}));
    const tamper = ofKind(feed(fixes).events, 'tamper');
    expect(tamper.map((e) => e.type)).toEqual(['integrity_open', 'integrity_close']);
    expect(tamper[0]).toMatchObject({ severity: 'violation', cause: 'unplug' });
    expect(tamper[1]?.at).toBe(fixes[40]?.time);
  });

  it('raises towing as a warning, escalated by a tamper report in the same alert', () => {
    const fixes = along(10, (i) =>
      i >= 2 && i < 6
        ? { towing: true, ignition: false, events: i === 4 ? ['towing', 'tamper'] : ['towing'] }
        : {},
    );
    const tamper = ofKind(feed(fixes).events, 'tamper');
    expect(tamper.map((e) => [e.type, e.severity, e.cause])).toEqual([
      ['integrity_open', 'warning', 'towing'],
      ['integrity_update', 'violation', 'tamper_event'],
    ]);
  });

  it('downgrades towing inside an authorised-transport window and names it', () => {
    const fixes = along(6, (i) => (i === 2 ? { towing: true, events: ['towing', 'tamper'] } : {}));
    const ctx = context('excavator', {
      windows: [
        {
          id: 'w-7',
          kind: 'authorised_transport',
          from: T0,
          to: T0 + 60 * MINUTE,
          reason: 'to Puerto Maldonado',
        },
      ],
    });
    const [open] = drive(
      fixes.map((fix) => ({ fix })),
      ctx,
    ).events;
    expect(open).toMatchObject({
      kind: 'tamper',
      severity: 'warning',
      detectedSeverity: 'violation',
      downgradedBy: { windowId: 'w-7', windowKind: 'authorised_transport' },
    });
  });

  it('is not downgraded by a window that does not cover the alert kind or the time', () => {
    const fixes = along(6, (i) => (i === 2 ? { events: ['tamper'] } : {}));
    const ctx = context('excavator', {
      windows: [
        { id: 'w-later', kind: 'maintenance', from: T0 + 2 * 60 * MINUTE, to: T0 + 3 * 60 * MINUTE },
        { id: 'w-now', kind: 'authorised_transport', from: T0, to: T0 + 60 * MINUTE },
      ],
      params: { downgrades: { authorised_transport: ['went_dark'] } },
    });
    const [open] = drive(
      fixes.map((fix) => ({ fix })),
      ctx,
    ).events;
    expect(open?.severity).toBe('violation');
    expect(open?.downgradedBy).toBeUndefined();
  });
});
