import type { Fix, Rejection } from './model';
import { rejection } from './rejection';

/**
 * What the registry's database can store of a fix: the types of the `positions` columns (libs/db's migrations;
 * `libs/db/src/position-fix.spec.ts` checks this table against the migrated schema) and the values each accepts.
 * The decoders refuse what the database would refuse, field by field, so that one bad value never fails the
 * statement that stores the valid fixes beside it.
 */
export type StoredColumnType =
  'real' | 'double precision' | 'smallint' | 'integer' | 'bigint' | 'timestamptz';

/** The `positions` column of each numeric or time field of a fix that a device reports. */
export const FIX_COLUMNS = {
  time: { column: 'fix_time', type: 'timestamptz' },
  lat: { column: 'lat', type: 'double precision' },
  lon: { column: 'lon', type: 'double precision' },
  speedKmh: { column: 'speed_kmh', type: 'real' },
  headingDeg: { column: 'heading_deg', type: 'real' },
  altitudeM: { column: 'altitude_m', type: 'real' },
  hdop: { column: 'hdop', type: 'real' },
  pdop: { column: 'pdop', type: 'real' },
  satellites: { column: 'satellites', type: 'smallint' },
  externalVoltageV: { column: 'external_voltage_v', type: 'real' },
  batteryV: { column: 'battery_v', type: 'real' },
  sequence: { column: 'sequence', type: 'bigint' },
  index: { column: 'message_index', type: 'integer' },
} as const satisfies Partial<Record<keyof Fix, { column: string; type: StoredColumnType }>>;

export type StoredFixField = keyof typeof FIX_COLUMNS;

/** Largest finite 32-bit float (PostgreSQL `real`): larger magnitudes are refused (SQLSTATE 22003). */
export const FLOAT4_MAX = 3.4028234663852886e38;
/**
 * Smallest normal 32-bit float, 2^-126. PostgreSQL refuses a non-zero `real` that rounds to 0 (`1e-50`, `5e-324`:
 * SQLSTATE 22003) and stores the subnormals above that with fewer significant digits; no tracker measures a
 * speed, voltage or dilution that small, so such a value is a firmware fault (uninitialised or mis-scaled
 * memory) and every non-zero magnitude below this one is refused rather than rounded to 0.
 */
export const FLOAT4_MIN_NORMAL = 1.1754943508222875e-38;

/** Integer columns' ranges (bigint within the integers a JavaScript number holds exactly). */
export const INTEGER_RANGES = {
  smallint: { min: -32_768, max: 32_767 },
  integer: { min: -2_147_483_648, max: 2_147_483_647 },
  bigint: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
} as const;

/**
 * The device times a fix may carry: from 1970-01-01T00:00:00.000Z to 2100-12-31T23:59:59.999Z. PostgreSQL's
 * `timestamptz` holds far more (4713 BC to 294276 AD), but years before 1970 (year 0000 is no year at all) and
 * after 2100 are no tracker's clock; the tolerances of `DEVICE_CLOCK_MAX_AGE_HOURS` and
 * `DEVICE_CLOCK_MAX_AHEAD_SECONDS` then flag (`clock`) the stored fixes whose time cannot be placed.
 */
export const FIX_TIME_MIN_MS = Date.UTC(1970, 0, 1);
export const FIX_TIME_MAX_MS = Date.UTC(2101, 0, 1) - 1;

/** Why `value` cannot be stored in a column of `type`, or undefined if it can. */
export function unstorableReason(type: StoredColumnType, value: number): string | undefined {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  switch (type) {
    case 'real': {
      const magnitude = Math.abs(value);
      if (magnitude > FLOAT4_MAX) return `${value} is beyond the largest storable number (${FLOAT4_MAX})`;
      if (magnitude !== 0 && magnitude < FLOAT4_MIN_NORMAL)
        return `${value} is neither 0 nor at least ${FLOAT4_MIN_NORMAL} in magnitude (send 0)`;
      return undefined;
    }
    case 'double precision':
      return undefined;
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const { min, max } = INTEGER_RANGES[type];
      if (!Number.isInteger(value)) return `${value} is not an integer`;
      return value < min || value > max ? `${value} is outside ${min} to ${max}` : undefined;
    }
    case 'timestamptz':
      return value < FIX_TIME_MIN_MS || value > FIX_TIME_MAX_MS
        ? `${describeTime(value)} is outside ${new Date(FIX_TIME_MIN_MS).toISOString()} to ${new Date(FIX_TIME_MAX_MS).toISOString()}`
        : undefined;
  }
}

/** Whether a field's value can be stored in its `positions` column. */
export function isStorable(field: StoredFixField, value: number): boolean {
  return unstorableReason(FIX_COLUMNS[field].type, value) === undefined;
}

/** The first field of a decoded fix the database would refuse, with the reason; undefined when it stores whole. */
export function unstorableField(
  fix: Partial<Pick<Fix, StoredFixField>>,
): { field: StoredFixField; reason: string } | undefined {
  for (const field of Object.keys(FIX_COLUMNS) as StoredFixField[]) {
    const value = fix[field];
    if (value === undefined) continue;
    const reason = unstorableReason(FIX_COLUMNS[field].type, value);
    if (reason !== undefined) return { field, reason };
  }
  return undefined;
}

function describeTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}

/** The names the device protocol gives the fields (docs/device-protocol.md), for rejections. */
const PROTOCOL_NAMES: Record<StoredFixField, string> = {
  time: 'time',
  lat: 'lat',
  lon: 'lon',
  speedKmh: 'speed',
  headingDeg: 'heading',
  altitudeM: 'altitude',
  hdop: 'hdop',
  pdop: 'pdop',
  satellites: 'satellites',
  externalVoltageV: 'externalVoltage',
  batteryV: 'battery',
  sequence: 'sequence',
  index: 'index',
};

const REQUIRED: readonly StoredFixField[] = ['time', 'lat', 'lon', 'index'];

/**
 * The last guard of a decoder: a draft the database would refuse whole (a required field it cannot store) is
 * refused (`false`, one `fix` rejection); an optional field it cannot store is dropped from the draft with a
 * `field` rejection and the fix kept. Rejections are pushed to `rejections`.
 */
export function keepStorable(
  draft: Partial<Pick<Fix, StoredFixField>>,
  index: number,
  rejections: Rejection[],
): boolean {
  for (const field of Object.keys(FIX_COLUMNS) as StoredFixField[]) {
    const value = draft[field];
    if (value === undefined) continue;
    const reason = unstorableReason(FIX_COLUMNS[field].type, value);
    if (reason === undefined) continue;
    const name = PROTOCOL_NAMES[field];
    if (REQUIRED.includes(field)) {
      const code = field === 'time' ? 'invalid_time' : 'out_of_range';
      rejections.push(rejection(code, 'fix', `${name} cannot be stored: ${reason}`, { index, field: name }));
      return false;
    }
    delete draft[field];
    rejections.push(
      rejection(
        'out_of_range',
        'field',
        `${name} cannot be stored: ${reason}; the field was ignored and the fix kept`,
        {
          index,
          field: name,
        },
      ),
    );
  }
  return true;
}
