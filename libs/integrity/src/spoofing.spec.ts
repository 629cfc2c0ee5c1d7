import type { IntegrityFix } from './model';
import { PLACES, between, offset } from './testing/places';
import { HOUR, MINUTE, SECOND, T0, context, drive, fixAt, ofKind } from './testing/stream';

const feed = (fixes: IntegrityFix[], category: Parameters<typeof context>[0] = 'dredge') =>
  drive(
    fixes.map((fix) => ({ fix })),
    context(category),
  );
const scatter = (i: number) => offset(PLACES.bocaColoradoSouthBank, (i * 7) % 5, (i * 3) % 4);

describe('spoofing', () => {
  it('flags a dredge that jumps from Boca Colorado to Laberinto in two minutes as a teleport', () => {
    const fixes = [
      ...Array.from({ length: 10 }, (_, i) => fixAt(T0 + i * MINUTE, scatter(i))),
      fixAt(T0 + 11 * MINUTE, PLACES.laberintoTown),
      ...Array.from({ length: 5 }, (_, i) => fixAt(T0 + (12 + i) * MINUTE, scatter(i))),
    ];
    const spoof = ofKind(feed(fixes).events, 'spoofing');
    expect(spoof).toHaveLength(1);
    expect(spoof[0]).toMatchObject({ type: 'integrity_open', severity: 'warning', cause: 'teleport' });
    expect(spoof[0]?.details.impliedSpeedKmh).toBeGreaterThan(1000);
    expect(spoof[0]?.description).toMatch(/el máximo plausible para una máquina de tipo draga es 110 km\/h/);
    expect(spoof[0]?.descriptionEn).toMatch(/a dredge cannot exceed 110 km\/h/);
  });

  it('accepts an excavator carried on a truck at 90 km/h from La Pampa towards Puerto Maldonado', () => {
    const n = 60;
    const fixes = Array.from({ length: n }, (_, i) =>
      fixAt(T0 + i * MINUTE, between(PLACES.laPampa, PLACES.puertoMaldonado, (i * 1.5) / 100), {
        speedKmh: 90,
      }),
    );
    expect(ofKind(feed(fixes, 'excavator').events, 'spoofing')).toEqual([]);
  });

  it('escalates repeated impossible jumps to a violation and closes an hour after the last one', () => {
    const fixes: IntegrityFix[] = [];
    for (let i = 0; i < 100; i++) {
      const wild = i >= 10 && i < 20 && i % 3 === 0;
      fixes.push(fixAt(T0 + i * MINUTE, wild ? offset(PLACES.bocaColoradoSouthBank, 5_000, 0) : scatter(i)));
    }
    const spoof = ofKind(feed(fixes).events, 'spoofing');
    expect(spoof.map((e) => [e.type, e.severity])).toEqual([
      ['integrity_open', 'warning'],
      ['integrity_update', 'violation'],
      ['integrity_close', 'violation'],
    ]);
    expect(spoof[2]?.at).toBe(fixes[78]?.time);
  });

  it('takes the decoder impossible_speed flag when it has no trusted neighbour of its own, and not otherwise', () => {
    // A fresh state (the decoder compared the fix with the newest stored one).
    const first = [fixAt(T0, scatter(0), { flags: ['impossible_speed'] })];
    expect(ofKind(feed(first).events, 'spoofing')[0]).toMatchObject({ cause: 'impossible_speed' });
    // Back at the site after a wild fix: the decoder flags it against the wild one; the site is the reference.
    const back = Array.from({ length: 5 }, (_, i) =>
      fixAt(T0 + i * MINUTE, scatter(i), i === 3 ? { flags: ['impossible_speed'] } : {}),
    );
    expect(ofKind(feed(back).events, 'spoofing')).toEqual([]);
  });

  it('flags positions identical to 7 decimals for two hours with ignition on (frozen), not a parked machine', () => {
    const frozen = Array.from({ length: 150 }, (_, i) => fixAt(T0 + i * MINUTE, PLACES.nanayRiver));
    const [open] = ofKind(feed(frozen).events, 'spoofing');
    expect(open).toMatchObject({
      severity: 'violation',
      cause: 'frozen_position',
      since: T0,
      at: T0 + 2 * HOUR,
    });
    const parked = frozen.map((f) => ({ ...f, ignition: false }));
    expect(ofKind(feed(parked).events, 'spoofing')).toEqual([]);
    const working = frozen.map((f, i) => ({ ...f, ...offset(PLACES.nanayRiver, (i % 3) * 0.5, 0) }));
    expect(ofKind(feed(working).events, 'spoofing')).toEqual([]);
  });

  it('flags a device clock ahead of arrival, but never late delivery of buffered fixes', () => {
    const ahead = [
      fixAt(T0, scatter(0)),
      fixAt(T0 + MINUTE, scatter(1), { receivedAt: T0 + MINUTE - 20 * MINUTE }),
    ];
    expect(ofKind(feed(ahead).events, 'spoofing')[0]).toMatchObject({ cause: 'clock_ahead_of_arrival' });
    const buffered = Array.from({ length: 30 }, (_, i) =>
      fixAt(T0 + i * MINUTE, scatter(i), { receivedAt: T0 + 3 * HOUR + i * SECOND, sequence: 100 + i }),
    );
    expect(ofKind(feed(buffered).events, 'spoofing')).toEqual([]);
  });

  it('flags a sequence that goes forward while the clock goes back, but not a reboot or a buffer flush', () => {
    const seq = (i: number, t: number, n: number) =>
      fixAt(t, scatter(i), { sequence: n, receivedAt: T0 + 2 * HOUR + i });
    const replay = [seq(0, T0 + HOUR, 500), seq(1, T0 + HOUR + MINUTE, 501), seq(2, T0 + 10 * MINUTE, 502)];
    expect(ofKind(feed(replay).events, 'spoofing')[0]).toMatchObject({ cause: 'clock_vs_sequence' });
    const reboot = [seq(0, T0 + HOUR, 500), seq(1, T0 + HOUR + MINUTE, 0), seq(2, T0 + HOUR + 2 * MINUTE, 1)];
    expect(ofKind(feed(reboot).events, 'spoofing')).toEqual([]);
    const flush = [
      seq(0, T0 + HOUR, 500),
      seq(1, T0 + 10 * MINUTE, 400),
      seq(2, T0 + 11 * MINUTE, 401),
      seq(3, T0 + HOUR + MINUTE, 501),
    ];
    expect(ofKind(feed(flush).events, 'spoofing')).toEqual([]);
  });
});
