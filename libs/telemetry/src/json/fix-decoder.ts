import { FIX_EVENTS, DecodeResult, FixEvent, Rejection } from '../model';
import { DecodeContext, DecodeLimits, resolveLimits } from '../options';
import { assessPlausibility, FixDraft } from '../plausibility';
import { rejection } from '../rejection';
import { describeType, isPlainObject, ownField, parseJsonPayload } from './payload';
import { parseFixTime } from './time';
import { FIX_COLUMNS, keepStorable, unstorableReason } from '../storable';

type NumericKey =
  | 'speedKmh'
  | 'headingDeg'
  | 'altitudeM'
  | 'hdop'
  | 'pdop'
  | 'satellites'
  | 'externalVoltageV'
  | 'batteryV'
  | 'sequence';

interface NumericField {
  name: string;
  key: NumericKey;
  min: number;
  max: number;
  integer: boolean;
}

/**
 * Optional numeric fields of a JSON fix and the values accepted for each (inclusive); a value must also be one its
 * `positions` column stores (`FIX_COLUMNS`: a non-zero `real` below 1.1754943508222875e-38 in magnitude is not).
 */
export const JSON_NUMERIC_FIELDS: readonly NumericField[] = [
  { name: 'speed', key: 'speedKmh', min: 0, max: 1000, integer: false },
  { name: 'heading', key: 'headingDeg', min: 0, max: 360, integer: false },
  { name: 'altitude', key: 'altitudeM', min: -1000, max: 20000, integer: false },
  { name: 'hdop', key: 'hdop', min: 0, max: 100, integer: false },
  { name: 'pdop', key: 'pdop', min: 0, max: 100, integer: false },
  { name: 'satellites', key: 'satellites', min: 0, max: 255, integer: true },
  { name: 'externalVoltage', key: 'externalVoltageV', min: 0, max: 100, integer: false },
  { name: 'battery', key: 'batteryV', min: 0, max: 100, integer: false },
  { name: 'sequence', key: 'sequence', min: 0, max: 4_294_967_295, integer: true },
];

export const MAX_EVENTS_PER_FIX = 32;

/**
 * Decodes the payload of `devices/{imei}/fixes`: one fix object, or `{"fixes": [...]}`. Each bad entry of a
 * batch is refused on its own (one rejection per refused entry); a bad optional field is dropped with a
 * field rejection and the fix is kept. Never throws.
 */
export function decodeJsonFixes(
  payload: Uint8Array,
  receivedAt: Date,
  context: DecodeContext = {},
): DecodeResult {
  const limits = resolveLimits(context);
  const { drafts, rejections } = decodeJsonFixDrafts(payload, receivedAt, limits, context.deviceId ?? '');
  return { fixes: assessPlausibility(drafts, receivedAt, limits, context.previousFix), rejections };
}

/** What a decoder reads from a payload before the plausibility check: the fixes as drafts, and the rejections. */
export interface DraftsResult {
  drafts: FixDraft[];
  rejections: Rejection[];
}

/** `decodeJsonFixes` without the plausibility check (`assessPlausibility` completes the drafts). */
export function decodeJsonFixDrafts(
  payload: Uint8Array,
  receivedAt: Date,
  limits: Readonly<DecodeLimits>,
  deviceId: string,
): DraftsResult {
  const parsed = parseJsonPayload(payload, limits.maxPayloadBytes);
  if (!parsed.ok) return { drafts: [], rejections: [parsed.rejection] };
  const root = parsed.value;
  if (!isPlainObject(root)) {
    return {
      drafts: [],
      rejections: [
        rejection('not_an_object', 'message', `expected a fix or {"fixes":[...]}, got ${describeType(root)}`),
      ],
    };
  }

  const rejections: Rejection[] = [];
  let entries: readonly unknown[];
  if (Object.prototype.hasOwnProperty.call(root, 'fixes')) {
    const batch = root['fixes'];
    if (!Array.isArray(batch)) {
      return {
        drafts: [],
        rejections: [
          rejection('invalid_batch', 'message', `"fixes" must be an array, got ${describeType(batch)}`, {
            field: 'fixes',
          }),
        ],
      };
    }
    if (batch.length === 0) {
      return {
        drafts: [],
        rejections: [rejection('empty_batch', 'message', '"fixes" is empty', { field: 'fixes' })],
      };
    }
    entries = batch.slice(0, limits.maxBatchSize);
    if (batch.length > limits.maxBatchSize) {
      rejections.push(
        rejection(
          'batch_too_large',
          'fix',
          `the batch has ${batch.length} fixes; the limit is ${limits.maxBatchSize}, so entries ${limits.maxBatchSize} to ${batch.length - 1} were refused`,
          { index: limits.maxBatchSize, field: 'fixes' },
        ),
      );
    }
  } else {
    entries = [root];
  }

  const drafts: FixDraft[] = [];
  const received = receivedAt.getTime();
  entries.forEach((entry, index) => {
    const draft = decodeJsonFix(entry, index, deviceId, received, rejections);
    if (draft) drafts.push(draft);
  });
  rejections.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  return { drafts, rejections };
}

function decodeJsonFix(
  entry: unknown,
  index: number,
  deviceId: string,
  receivedAt: number,
  rejections: Rejection[],
): FixDraft | undefined {
  if (!isPlainObject(entry)) {
    rejections.push(
      rejection('not_an_object', 'fix', `a fix must be an object, got ${describeType(entry)}`, { index }),
    );
    return undefined;
  }
  const refuseFix = (reason: Rejection['reason'], field: string, message: string): undefined => {
    rejections.push(rejection(reason, 'fix', message, { index, field }));
    return undefined;
  };

  const time = ownField(entry, 'time');
  if (time === undefined) return refuseFix('missing_field', 'time', 'time is required');
  if (typeof time !== 'string' && typeof time !== 'number') {
    return refuseFix('invalid_type', 'time', `time must be a string or a number, got ${describeType(time)}`);
  }
  const parsedTime = parseFixTime(time);
  if (!parsedTime.ok) return refuseFix('invalid_time', 'time', parsedTime.message);

  const lat = coordinate(entry, 'lat', refuseFix);
  if (lat === undefined) return undefined;
  const lon = coordinate(entry, 'lon', refuseFix);
  if (lon === undefined) return undefined;

  const draft: FixDraft = {
    deviceId,
    source: 'json',
    time: parsedTime.time.getTime(),
    receivedAt,
    lat,
    lon,
    events: [],
    index,
  };
  const dropField = (reason: Rejection['reason'], field: string, message: string): void => {
    rejections.push(
      rejection(reason, 'field', `${message}; the field was ignored and the fix kept`, { index, field }),
    );
  };

  for (const field of JSON_NUMERIC_FIELDS) {
    const value = ownField(entry, field.name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number') {
      dropField('invalid_type', field.name, `${field.name} must be a number, got ${describeType(value)}`);
    } else if (
      !Number.isFinite(value) ||
      value < field.min ||
      value > field.max ||
      (field.integer && !Number.isInteger(value))
    ) {
      const kind = field.integer ? 'an integer' : 'a number';
      dropField(
        'out_of_range',
        field.name,
        `${field.name} must be ${kind} from ${field.min} to ${field.max}, got ${value}`,
      );
    } else {
      const unstorable = unstorableReason(FIX_COLUMNS[field.key].type, value);
      if (unstorable === undefined) draft[field.key] = value;
      else dropField('out_of_range', field.name, `${field.name} cannot be stored: ${unstorable}`);
    }
  }

  const ignition = ownField(entry, 'ignition');
  if (typeof ignition === 'boolean') draft.ignition = ignition;
  else if (ignition !== undefined && ignition !== null) {
    dropField('invalid_type', 'ignition', `ignition must be true or false, got ${describeType(ignition)}`);
  }

  const events = ownField(entry, 'events');
  if (events !== undefined && events !== null) draft.events = decodeEvents(events, dropField);
  return keepStorable(draft, index, rejections) ? draft : undefined;
}

/** A required coordinate of a fix, or undefined once the fix has been refused for it. */
function coordinate(
  entry: Record<string, unknown>,
  name: 'lat' | 'lon',
  refuseFix: (reason: Rejection['reason'], field: string, message: string) => undefined,
): number | undefined {
  const value = ownField(entry, name);
  if (value === undefined) return refuseFix('missing_field', name, `${name} is required`);
  if (typeof value !== 'number')
    return refuseFix('invalid_type', name, `${name} must be a number, got ${describeType(value)}`);
  if (!Number.isFinite(value)) return refuseFix('out_of_range', name, `${name} is not a finite number`);
  return value;
}

function decodeEvents(
  events: unknown,
  dropField: (reason: Rejection['reason'], field: string, message: string) => void,
): FixEvent[] {
  if (!Array.isArray(events)) {
    dropField(
      'invalid_type',
      'events',
      `events must be an array of event codes, got ${describeType(events)}`,
    );
    return [];
  }
  if (events.length > MAX_EVENTS_PER_FIX) {
    dropField(
      'out_of_range',
      'events',
      `events has ${events.length} entries; the limit is ${MAX_EVENTS_PER_FIX}`,
    );
    return [];
  }
  const known = new Set<FixEvent>();
  events.forEach((code: unknown, position) => {
    const field = `events[${position}]`;
    if (typeof code !== 'string')
      dropField('invalid_type', field, `an event code must be a string, got ${describeType(code)}`);
    else if (isFixEvent(code)) known.add(code);
    else
      dropField(
        'unknown_event',
        field,
        `"${code.slice(0, 40)}" is not an event code (${FIX_EVENTS.join(', ')})`,
      );
  });
  return FIX_EVENTS.filter((event) => known.has(event));
}

export function isFixEvent(value: string): value is FixEvent {
  return (FIX_EVENTS as readonly string[]).includes(value);
}
