import type { Store } from '@app/db';
import { IntegrityInput, openAlerts } from '@app/integrity';
import type { LiveState } from '../live-state';
import { decode } from './decode.stage';
import { IntegrityStage } from './integrity.stage';
import { MachineStage } from './machine.stage';
import { checkPlausibility } from './plausibility.stage';
import { telemetryRows } from './store.stage';
import { IMEI, emptyState, incoming, integrityWriter, jsonFix, target } from './testing';
import { TrackerTargets } from '../tracker-targets';

const machine = { id: 'm-1', category: 'excavator', declaredUse: null };

function message(topic: string, body: unknown, receivedAt: string) {
  const item = decode(incoming(topic, body, new Date(receivedAt)));
  item.machine = machine;
  checkPlausibility(item, undefined);
  return item;
}

/** A store whose declared windows are never in force. */
const store = {
  repos: {
    declaredWindows: { machinesWithActive: async () => [], activeOverlapping: async () => [] },
  },
} as unknown as Store;

describe(IntegrityStage.name, () => {
  it('gives the detectors every stored fix, flagged or not, and each status message in its place by arrival', () => {
    const stage = new IntegrityStage(integrityWriter(), store);
    const early = message(
      `devices/${IMEI}/fixes`,
      jsonFix('2026-11-22T04:59:00Z', 0, 0),
      '2026-11-22T05:00:00Z',
    );
    const status = message(`devices/${IMEI}/status`, { state: 'online' }, '2026-11-22T05:00:05Z');
    const late = message(
      `devices/${IMEI}/fixes`,
      jsonFix('2026-11-22T04:59:50Z', -12.6, -69.2),
      '2026-11-22T05:00:10Z',
    );
    const rows = telemetryRows([early, late]);
    const state = emptyState();
    const inputs = new Map<LiveState, IntegrityInput[]>();

    for (const stored of rows.stored) stage.addFixes(inputs, state, stored);
    stage.addStatus(inputs, state, status);

    expect(inputs.get(state)?.map((i) => (i.type === 'fix' ? i.fix : i.status.state))).toEqual([
      early.fixes[0],
      'online',
      late.fixes[0],
    ]);
    expect(inputs.get(state)?.[0]).toMatchObject({ type: 'fix', fix: { flags: ['null_island'] } });
  });

  it('raises an alert the detectors find and keeps the detectors’ state on the live state', async () => {
    const writer = integrityWriter();
    const stage = new IntegrityStage(writer, store);
    const state = emptyState();
    new MachineStage(new TrackerTargets(async () => new Map(), 1), writer).bind(
      state,
      machine,
      target('m-1'),
      Date.parse('2026-11-22T05:00:00Z'),
    );
    const cut = message(
      `devices/${IMEI}/fixes`,
      jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2, { events: ['power_cut'] }),
      '2026-11-22T05:00:00Z',
    );
    const rows = telemetryRows([cut]);
    const inputs = new Map<LiveState, IntegrityInput[]>();
    stage.addFixes(inputs, state, rows.stored[0]!);

    const alerts = await stage.evaluate(inputs, Date.parse('2026-11-22T05:00:00Z'));

    expect(alerts).toEqual([
      {
        state,
        events: [expect.objectContaining({ type: 'integrity_open', kind: 'power_cut', deviceId: IMEI })],
      },
    ]);
    expect(openAlerts(state.integrity!).map((a) => a.kind)).toEqual(['power_cut']);
  });
});
