import { initialIntegrityState } from '@app/integrity';
import { initialState } from '@app/rules';
import { parseLiveState, serializeLiveState } from './live-state';

describe('live state snapshot', () => {
  it('keeps the integrity state across a snapshot', () => {
    const integrity = initialIntegrityState('350000000000001');
    integrity.seq = 42;
    const json = serializeLiveState({
      imei: '350000000000001',
      machineId: 'm-1',
      lastFix: { time: 1, receivedAt: 2, lat: -12.6, lon: -69.2 },
      rules: initialState('350000000000001'),
      integrity,
      cursor: 2,
    });
    const parsed = parseLiveState(json);
    expect(parsed.integrity).toEqual(integrity);
    expect(parsed.rules?.deviceId).toBe('350000000000001');
  });

  it('reads a snapshot written before the integrity state existed as a fresh one', () => {
    const old = JSON.stringify({ v: 1, imei: '350000000000002', machineId: 'm-2', cursor: 5 });
    const parsed = parseLiveState(old);
    expect(parsed).toMatchObject({ imei: '350000000000002', machineId: 'm-2', cursor: 5 });
    expect(parsed.integrity).toBeUndefined();
  });
});
