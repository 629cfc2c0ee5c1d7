import { groupBy, mergeMap, pipe, scan, type OperatorFunction } from 'rxjs';
import type { RuleEvent } from './events';
import type { Fix, MachineProfile, ZoneLookup } from './model';
import { streamParams, type StreamParams } from './params';
import { RuleSet } from './rules';
import { step, type DeviceState, type StepContext } from './step';

export interface DeviceStreamOptions {
  lookup: ZoneLookup;
  /** Default: `new RuleSet(DEFAULT_RULES)`. */
  rules?: RuleSet;
  params?: Partial<StreamParams>;
  /** The machine a device is installed on; asked once per device. */
  machineOf(deviceId: string): MachineProfile;
  /** State to resume from (e.g. read back from storage); default: a fresh state. */
  initialState?(deviceId: string): DeviceState | undefined;
}

/** The outcome of one fix: the device's new state (to persist) and its events. */
export interface DeviceStep {
  deviceId: string;
  fix: Fix;
  state: DeviceState;
  events: RuleEvent[];
}

/**
 * Per-device evaluation of a stream of fixes from many devices: grouped by device, each device's
 * fixes go through `step` one at a time in arrival order (late ones are put back in event-time order
 * by `step` itself), devices independently of each other, results merged.
 */
export function evaluateDevices(options: DeviceStreamOptions): OperatorFunction<Fix, DeviceStep> {
  const rules = options.rules ?? new RuleSet();
  const params = streamParams(options.params);
  return pipe(
    groupBy((fix: Fix) => fix.deviceId),
    mergeMap((device) => {
      const ctx: StepContext = {
        machine: options.machineOf(device.key),
        lookup: options.lookup,
        rules,
        params,
      };
      const resumed = options.initialState?.(device.key);
      return device.pipe(
        scan<Fix, DeviceStep, undefined>((previous, fix) => {
          const result = step(previous ? previous.state : resumed, fix, ctx);
          return { deviceId: device.key, fix, state: result.state, events: result.events };
        }, undefined),
      );
    }),
  );
}

/** The events of `evaluateDevices`, flattened. */
export function ruleEvents(options: DeviceStreamOptions): OperatorFunction<Fix, RuleEvent> {
  return pipe(
    evaluateDevices(options),
    mergeMap((s) => s.events),
  );
}
