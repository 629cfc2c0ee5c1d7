import type { IntegrityFix } from './model';
import { PLACES, offset } from './testing/places';
import { MINUTE, T0, context, drive, fixAt, ofKind } from './testing/stream';

const around = (n: number, extra: (i: number) => Partial<IntegrityFix>): IntegrityFix[] =>
  Array.from({ length: n }, (_, i) =>
    fixAt(T0 + i * MINUTE, offset(PLACES.nanayNorthBank, i % 3, i % 4), extra(i)),
  );
const feed = (fixes: IntegrityFix[]) =>
  drive(
    fixes.map((fix) => ({ fix })),
    context('dredge'),
  );

describe('GNSS jamming', () => {
  it('opens on a critical Teltonika 318 report (violation) and closes after good fixes (Nanay, near Iquitos)', () => {
    const fixes = around(20, (i) =>
      i >= 5 && i < 9 ? { gnssJamming: 'critical', events: ['gnss_jamming'], satellites: 2, hdop: 25 } : {},
    );
    const jam = ofKind(feed(fixes).events, 'gnss_jamming');
    expect(jam.map((e) => [e.type, e.severity, e.cause])).toEqual([
      ['integrity_open', 'violation', 'reported_critical'],
      ['integrity_close', 'violation', 'reported_critical'],
    ]);
    expect(jam[1]?.at).toBe(fixes[11]?.time);
  });

  it('raises a warning when quality collapses while the tracker keeps reporting', () => {
    const fixes = around(30, (i) =>
      i >= 10 && i < 22 ? { satellites: 2, hdop: 18, flags: ['low_quality'] } : {},
    );
    const jam = ofKind(feed(fixes).events, 'gnss_jamming');
    expect(jam[0]).toMatchObject({
      type: 'integrity_open',
      severity: 'warning',
      cause: 'quality_collapse',
      since: fixes[10]?.time,
      at: fixes[20]?.time,
    });
    expect(jam[jam.length - 1]?.type).toBe('integrity_close');
  });

  it('does not call a short loss of sky, or a tracker that never had a good sky, jamming', () => {
    const canopy = around(30, (i) =>
      i % 6 === 0 ? { satellites: 3 } : i % 6 === 1 ? { satellites: 5, hdop: 4 } : {},
    );
    expect(ofKind(feed(canopy).events, 'gnss_jamming')).toEqual([]);
    const neverGood = around(30, () => ({ satellites: 3, hdop: 12 }));
    expect(ofKind(feed(neverGood).events, 'gnss_jamming')).toEqual([]);
    const short = around(30, (i) => (i >= 10 && i < 14 ? { satellites: 0, flags: ['no_gnss_fix'] } : {}));
    expect(ofKind(feed(short).events, 'gnss_jamming')).toEqual([]);
  });

  it('reports cellular jamming (Teltonika 249) as a warning', () => {
    const fixes = around(5, (i) => (i === 2 ? { gsmJamming: true, events: ['gsm_jamming'] } : {}));
    expect(ofKind(feed(fixes).events, 'gnss_jamming')[0]).toMatchObject({
      severity: 'warning',
      cause: 'reported_gsm',
    });
  });
});
