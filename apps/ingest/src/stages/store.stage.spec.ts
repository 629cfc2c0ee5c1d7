import { latLngToCell } from 'h3-js';
import type { MachineOfTracker } from '../rules.evaluator';
import { decode } from './decode.stage';
import { checkPlausibility } from './plausibility.stage';
import { POSITION_CELL_RESOLUTION, telemetryRows } from './store.stage';
import { IMEI, OTHER_IMEI, incoming, jsonFix } from './testing';

function checked(topic: string, body: unknown, machine?: MachineOfTracker | null) {
  const item = decode(incoming(topic, body));
  if (machine !== undefined) item.machine = machine;
  checkPlausibility(item, undefined);
  return item;
}

describe(telemetryRows.name, () => {
  const machine = { id: 'm-1', category: 'excavator', declaredUse: null };

  it('stores each message once and each of its fixes with its H3 cell and id, set on the fix itself, in the message’s order', () => {
    const item = checked(
      `devices/${IMEI}/fixes`,
      { fixes: [jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2), jsonFix('2026-11-22T04:59:30Z', 95, 0)] },
      machine,
    );

    const rows = telemetryRows([item]);

    expect(rows.messages).toEqual([
      expect.objectContaining({ imei: IMEI, topic: `devices/${IMEI}/fixes`, payload: item.message.payload }),
    ]);
    const messageId = rows.messages[0]?.id;
    expect(rows.positions).toEqual([
      expect.objectContaining({
        imei: IMEI,
        message_id: messageId,
        message_index: 0,
        fix_time: new Date('2026-11-22T04:59:00Z'),
        h3_cell: latLngToCell(-12.6, -69.2, POSITION_CELL_RESOLUTION),
        trusted: true,
      }),
      expect.objectContaining({ message_index: 1, h3_cell: null, trusted: false, flags: ['out_of_range'] }),
    ]);
    expect(item.fixes.map((f) => [f.id, f.cell])).toEqual([
      [`${IMEI}@2026-11-22T04:59:00.000Z`, latLngToCell(-12.6, -69.2, POSITION_CELL_RESOLUTION)],
      [`${IMEI}@2026-11-22T04:59:30.000Z`, undefined],
    ]);
    expect(rows.stored).toEqual([{ item, imei: IMEI, machine }]);
  });

  it('stores nothing of an unknown tracker, nor messages without fixes; a tracker bound to no machine is stored', () => {
    const unknown = checked(`devices/${OTHER_IMEI}/fixes`, jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2));
    const status = checked(`devices/${IMEI}/status`, { state: 'online' }, machine);
    const unbound = checked(`devices/${IMEI}/fixes`, jsonFix('2026-11-22T04:59:10Z', -12.6, -69.2), null);
    const bound = checked(`devices/${IMEI}/fixes`, jsonFix('2026-11-22T04:59:20Z', -12.6, -69.2), machine);

    const rows = telemetryRows([unknown, status, unbound, bound]);

    expect(rows.messages).toHaveLength(2);
    expect(rows.stored.map((s) => [s.item, s.machine])).toEqual([
      [unbound, null],
      [bound, machine],
    ]);
    expect(rows.positions).toHaveLength(2);
  });
});
