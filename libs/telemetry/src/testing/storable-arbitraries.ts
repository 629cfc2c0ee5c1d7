import fc from 'fast-check';
import { FIX_TIME_MAX_MS, FLOAT4_MIN_NORMAL } from '../storable';

/** Numbers at and around every edge a column type has, and any double at all. */
export const edgyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    1e-50,
    -1e-50,
    5e-324,
    -5e-324,
    1e-40,
    FLOAT4_MIN_NORMAL,
    FLOAT4_MIN_NORMAL / 2,
    3.4028235e38,
    3.5e38,
    1.7976931348623157e308,
    32_767,
    32_768,
    65_535,
    2 ** 31,
    2 ** 53,
    4_294_967_295,
    1000,
    -1000,
  ),
  fc.integer({ min: -5_000_000_000, max: 5_000_000_000 }),
);

/** Device times as firmware sends them (epoch ms or ISO 8601), at and around the storable span and far outside. */
export const edgyTime = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.constantFrom(0, -1, FIX_TIME_MAX_MS, FIX_TIME_MAX_MS + 1, 253_402_300_799_999),
  fc
    .date({
      min: new Date('-000001-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '1969-12-31T23:59:59.999Z',
    '2100-12-31T23:59:59.999Z',
  ),
);

/** A JSON fix (`devices/{imei}/fixes`) whose every number and time may sit on an edge of what is storable. */
export const edgyJsonFix = fc.record(
  {
    time: edgyTime,
    lat: edgyNumber,
    lon: edgyNumber,
    speed: edgyNumber,
    heading: edgyNumber,
    altitude: edgyNumber,
    hdop: edgyNumber,
    pdop: edgyNumber,
    satellites: edgyNumber,
    externalVoltage: edgyNumber,
    battery: edgyNumber,
    sequence: edgyNumber,
    ignition: fc.boolean(),
  },
  { requiredKeys: ['time', 'lat', 'lon'] },
);
