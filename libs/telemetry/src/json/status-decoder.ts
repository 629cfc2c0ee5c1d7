import { DeviceStatus, Rejection } from '../model';
import { DecodeContext, resolveLimits } from '../options';
import { rejection } from '../rejection';
import { describeType, isPlainObject, ownField, parseJsonPayload } from './payload';
import { parseFixTime } from './time';

export const MAX_STATUS_TEXT = 200;

export interface StatusDecodeResult {
  status?: DeviceStatus;
  rejections: Rejection[];
}

/**
 * Decodes the payload of `devices/{imei}/status`: `{"state":"online"|"offline"}` with optional `time`,
 * `firmware` and `reason`. A bad optional field is dropped with a field rejection. Never throws.
 */
export function decodeStatus(
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): StatusDecodeResult {
  const parsed = parseJsonPayload(payload, resolveLimits(context).maxPayloadBytes);
  if (!parsed.ok) return { rejections: [parsed.rejection] };
  const root = parsed.value;
  if (!isPlainObject(root)) {
    return {
      rejections: [
        rejection('not_an_object', 'message', `expected {"state": ...}, got ${describeType(root)}`),
      ],
    };
  }
  const state = ownField(root, 'state');
  if (state === undefined)
    return { rejections: [rejection('missing_field', 'message', 'state is required', { field: 'state' })] };
  if (state !== 'online' && state !== 'offline') {
    const got = typeof state === 'string' ? `"${state.slice(0, 40)}"` : describeType(state);
    return {
      rejections: [
        rejection('invalid_value', 'message', `state must be "online" or "offline", got ${got}`, {
          field: 'state',
        }),
      ],
    };
  }

  const status: DeviceStatus = { state, receivedAt };
  const rejections: Rejection[] = [];
  const dropField = (reason: Rejection['reason'], field: string, message: string): void => {
    rejections.push(rejection(reason, 'field', `${message}; the field was ignored`, { field }));
  };

  const time = ownField(root, 'time');
  if (typeof time === 'string' || typeof time === 'number') {
    const parsedTime = parseFixTime(time);
    if (parsedTime.ok) status.deviceTime = parsedTime.time;
    else dropField('invalid_time', 'time', parsedTime.message);
  } else if (time !== undefined && time !== null) {
    dropField('invalid_type', 'time', `time must be a string or a number, got ${describeType(time)}`);
  }

  for (const name of ['firmware', 'reason'] as const) {
    const value = ownField(root, name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string')
      dropField('invalid_type', name, `${name} must be a string, got ${describeType(value)}`);
    else if (value.length > MAX_STATUS_TEXT)
      dropField('out_of_range', name, `${name} is longer than ${MAX_STATUS_TEXT} characters`);
    else status[name] = value;
  }
  return { status, rejections };
}
