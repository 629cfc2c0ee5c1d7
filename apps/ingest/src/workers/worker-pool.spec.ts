import { laneOfImei } from '../pipeline/lanes';
import { slotOf } from './worker-pool';

describe(slotOf.name, () => {
  const imeis = Array.from({ length: 2000 }, (_, i) => `35${String(i * 7 + 11).padStart(13, '0')}`);

  it('spreads trackers evenly over the threads, each always on the same one', () => {
    for (const slots of [2, 3, 4]) {
      const counts = new Array<number>(slots).fill(0);
      for (const imei of imeis) counts[slotOf(`devices/${imei}/fixes`, slots)]!++;
      for (const n of counts)
        expect(Math.abs(n - imeis.length / slots)).toBeLessThan(imeis.length / slots / 5);
    }
    expect(slotOf('devices/350000000000011/fixes', 4)).toBe(slotOf('devices/350000000000011/status', 4));
  });

  it('is independent of the writer a thread picks, so every writer of every thread gets trackers', () => {
    const pairs = new Map<string, number>();
    for (const imei of imeis) {
      const key = `${slotOf(`devices/${imei}/fixes`, 2)}:${laneOfImei(imei, 2)}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    expect([...pairs.keys()].sort()).toEqual(['0:0', '0:1', '1:0', '1:1']);
    for (const n of pairs.values()) expect(n).toBeGreaterThan(imeis.length / 4 / 2);
  });
});
