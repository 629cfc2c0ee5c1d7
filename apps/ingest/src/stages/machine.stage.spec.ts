import { initialState } from '@app/rules';
import { TrackerTargets } from '../tracker-targets';
import { decode } from './decode.stage';
import { MachineStage } from './machine.stage';
import { IMEI, OTHER_IMEI, emptyState, incoming, integrityWriter, jsonFix, target } from './testing';

const fix = jsonFix('2026-11-22T04:59:00Z', -12.6, -69.2);

describe(MachineStage.name, () => {
  const registry = new Map([[IMEI, target('m-1', 'excavator', 'mining')]]);
  const stage = () =>
    new MachineStage(
      new TrackerTargets(
        async (imeis) =>
          new Map(imeis.flatMap((i) => (registry.has(i) ? [[i, registry.get(i)!] as const] : []))),
        10,
      ),
      integrityWriter(),
    );

  it('sets the machine of a registered tracker’s message, with its declared use, and none of an unknown tracker’s', async () => {
    const machines = stage();
    const targets = await machines.targetsOf([IMEI, OTHER_IMEI], 0);
    const known = decode(incoming(`devices/${IMEI}/fixes`, fix));
    const unknown = decode(incoming(`devices/${OTHER_IMEI}/fixes`, fix));

    machines.resolve(known, targets);
    machines.resolve(unknown, targets);

    expect(known.machine).toEqual({ id: 'm-1', category: 'excavator', declaredUse: 'mining' });
    expect(unknown).not.toHaveProperty('machine');
  });

  it('binds a live state to its machine, with the reporting intervals the detectors judge silence by', () => {
    const state = emptyState();

    stage().bind(state, { id: 'm-1', category: 'excavator', declaredUse: null }, target('m-1'), 1000);

    expect(state.machineId).toBe('m-1');
    expect(state.machine).toEqual({
      machineId: 'm-1',
      category: 'excavator',
      reportingIntervalMs: 30_000,
      reportingIntervalIgnitionOffMs: 300_000,
    });
    expect(state.integrity?.seq).toBe(1000);
  });

  it('starts the rules and integrity afresh when the tracker moved to another machine', () => {
    const machines = stage();
    const state = emptyState();
    machines.bind(state, { id: 'm-1', category: 'excavator', declaredUse: null }, target('m-1'), 1000);
    state.rules = initialState(IMEI);
    const integrity = state.integrity;

    machines.bind(state, { id: 'm-1', category: 'excavator', declaredUse: null }, target('m-1'), 2000);
    expect(state.integrity).toBe(integrity);
    expect(state.rules).toBeDefined();

    machines.bind(state, { id: 'm-2', category: 'dredge', declaredUse: null }, target('m-2', 'dredge'), 3000);
    expect(state.rules).toBeUndefined();
    expect(state.integrity).not.toBe(integrity);
    expect(state.integrity?.seq).toBe(3000);
  });
});
