import { jsonPayload } from '../testing/fixtures';
import { decodeJsonFixes } from './fix-decoder';

const receivedAt = new Date('2026-11-22T05:00:00Z');
const fix = (overrides: Record<string, unknown> = {}) => ({
  time: '2026-11-22T04:59:00Z',
  lat: -12.0464,
  lon: -77.0428,
  ...overrides,
});

describe(decodeJsonFixes.name, () => {
  it('decodes a single fix with every field', () => {
    const payload = jsonPayload(
      fix({
        speed: 12.5,
        heading: 270,
        altitude: 154,
        hdop: 0.9,
        pdop: 1.6,
        satellites: 11,
        ignition: true,
        externalVoltage: 24.1,
        battery: 4.05,
        events: ['tamper', 'power_cut'],
        sequence: 4711,
      }),
    );

    const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

    expect(rejections).toEqual([]);
    expect(fixes).toEqual([
      {
        deviceId: '',
        source: 'json',
        time: Date.parse('2026-11-22T04:59:00Z'),
        receivedAt: receivedAt.getTime(),
        lat: -12.0464,
        lon: -77.0428,
        speedKmh: 12.5,
        headingDeg: 270,
        altitudeM: 154,
        hdop: 0.9,
        pdop: 1.6,
        satellites: 11,
        ignition: true,
        externalVoltageV: 24.1,
        batteryV: 4.05,
        events: ['power_cut', 'tamper'],
        sequence: 4711,
        flags: [],
        trusted: true,
        index: 0,
      },
    ]);
  });

  it('accepts time as epoch milliseconds and as ISO-8601 with fractions cut to milliseconds', () => {
    const payload = jsonPayload({
      fixes: [
        fix({ time: Date.parse('2026-11-22T04:58:00.250Z') }),
        fix({ time: '2026-11-22T04:59:00.123456Z' }),
      ],
    });

    const { fixes } = decodeJsonFixes(payload, receivedAt);

    expect(fixes.map((f) => new Date(f.time).toISOString())).toEqual([
      '2026-11-22T04:58:00.250Z',
      '2026-11-22T04:59:00.123Z',
    ]);
  });

  it('keeps the good fixes of a batch beside the bad ones, one rejection per bad entry with its index', () => {
    const payload = jsonPayload({
      fixes: [fix(), 42, fix({ lat: undefined }), fix({ time: '2026-11-22T04:59:30Z' }), fix({ lon: '77' })],
    });

    const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

    expect(fixes.map((f) => f.index)).toEqual([0, 3]);
    expect(rejections).toEqual([
      { reason: 'not_an_object', scope: 'fix', index: 1, message: 'a fix must be an object, got a number' },
      { reason: 'missing_field', scope: 'fix', index: 2, field: 'lat', message: 'lat is required' },
      {
        reason: 'invalid_type',
        scope: 'fix',
        index: 4,
        field: 'lon',
        message: 'lon must be a number, got a string',
      },
    ]);
  });

  it.each([
    ['missing time', fix({ time: undefined }), 'missing_field', 'time'],
    ['time of the wrong type', fix({ time: true }), 'invalid_type', 'time'],
    ['time with an offset instead of Z', fix({ time: '2026-11-22T00:00:00-05:00' }), 'invalid_time', 'time'],
    ['time that is not a calendar date', fix({ time: '2026-02-30T00:00:00Z' }), 'invalid_time', 'time'],
    ['fractional epoch milliseconds', fix({ time: 1.5 }), 'invalid_time', 'time'],
    ['negative epoch milliseconds', fix({ time: -1 }), 'invalid_time', 'time'],
    ['missing lon', fix({ lon: undefined }), 'missing_field', 'lon'],
    ['lat as null', fix({ lat: null }), 'invalid_type', 'lat'],
  ])('refuses a fix with %s', (_, entry, reason, field) => {
    const { fixes, rejections } = decodeJsonFixes(jsonPayload(entry), receivedAt);

    expect(fixes).toEqual([]);
    expect(rejections).toEqual([expect.objectContaining({ reason, field, scope: 'fix', index: 0 })]);
  });

  it('refuses a coordinate too large to be a finite number', () => {
    const payload = Buffer.from('{"time":"2026-11-22T04:59:00Z","lat":1e400,"lon":-77}');

    const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

    expect(fixes).toEqual([]);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'out_of_range', field: 'lat', scope: 'fix' }),
    ]);
  });

  it('keeps a fix whose coordinates are outside WGS84, flagged out_of_range and untrusted', () => {
    const { fixes, rejections } = decodeJsonFixes(jsonPayload(fix({ lat: 91, lon: 200 })), receivedAt);

    expect(rejections).toEqual([]);
    expect(fixes).toEqual([
      expect.objectContaining({ lat: 91, lon: 200, flags: ['out_of_range'], trusted: false }),
    ]);
  });

  it.each([
    ['speed', 'fast', 'invalid_type', 'speedKmh'],
    ['speed', -1, 'out_of_range', 'speedKmh'],
    ['heading', 361, 'out_of_range', 'headingDeg'],
    ['altitude', 30000, 'out_of_range', 'altitudeM'],
    ['hdop', -0.5, 'out_of_range', 'hdop'],
    ['pdop', 101, 'out_of_range', 'pdop'],
    ['satellites', 7.5, 'out_of_range', 'satellites'],
    ['externalVoltage', 150, 'out_of_range', 'externalVoltageV'],
    ['battery', '4.1', 'invalid_type', 'batteryV'],
    ['sequence', -3, 'out_of_range', 'sequence'],
    ['ignition', 'on', 'invalid_type', 'ignition'],
  ])(
    'drops an invalid optional %s (%p) with a field rejection and keeps the fix',
    (field, value, reason, property) => {
      const { fixes, rejections } = decodeJsonFixes(jsonPayload(fix({ [field]: value })), receivedAt);

      expect(fixes).toHaveLength(1);
      expect(fixes[0]).not.toHaveProperty(property);
      expect(rejections).toEqual([expect.objectContaining({ reason, field, scope: 'field', index: 0 })]);
    },
  );

  it('drops events that are not a list with a field rejection and keeps the fix', () => {
    const { fixes, rejections } = decodeJsonFixes(jsonPayload(fix({ events: 'sos' })), receivedAt);

    expect(fixes[0]!.events).toEqual([]);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'invalid_type', field: 'events', scope: 'field', index: 0 }),
    ]);
  });

  it('treats null optional fields as absent', () => {
    const { fixes, rejections } = decodeJsonFixes(
      jsonPayload(fix({ speed: null, ignition: null, events: null })),
      receivedAt,
    );

    expect(rejections).toEqual([]);
    expect(fixes[0]).not.toHaveProperty('speedKmh');
    expect(fixes[0]).not.toHaveProperty('ignition');
  });

  it('keeps the known events, refuses unknown or non-string codes one by one and removes duplicates', () => {
    const payload = jsonPayload(fix({ events: ['sos', 'alien_abduction', 7, 'sos', 'gnss_jamming'] }));

    const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

    expect(fixes[0]!.events).toEqual(['gnss_jamming', 'sos']);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'unknown_event', field: 'events[1]', scope: 'field', index: 0 }),
      expect.objectContaining({ reason: 'invalid_type', field: 'events[2]', scope: 'field', index: 0 }),
    ]);
  });

  it('refuses a list of more than 32 events', () => {
    const { fixes, rejections } = decodeJsonFixes(
      jsonPayload(fix({ events: Array(33).fill('sos') })),
      receivedAt,
    );

    expect(fixes[0]!.events).toEqual([]);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'out_of_range', field: 'events' })]);
  });

  it('ignores unknown properties, including ones named like prototype members', () => {
    const payload = Buffer.from(
      '{"time":"2026-11-22T04:59:00Z","lat":-12,"lon":-77,"vendor":{"x":1},"__proto__":{"speed":5},"constructor":1}',
    );

    const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

    expect(rejections).toEqual([]);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).not.toHaveProperty('speedKmh');
  });

  describe('message-level refusals', () => {
    it.each([
      ['an empty payload', Buffer.alloc(0), 'empty_payload'],
      ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding'],
      ['text that is not JSON', Buffer.from('{"time":'), 'invalid_json'],
      ['a JSON array', jsonPayload([fix()]), 'not_an_object'],
      ['a JSON string', jsonPayload('fix'), 'not_an_object'],
      ['a batch whose fixes are not an array', jsonPayload({ fixes: { 0: fix() } }), 'invalid_batch'],
      ['an empty batch', jsonPayload({ fixes: [] }), 'empty_batch'],
    ])('refuses %s', (_, payload, reason) => {
      const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

      expect(fixes).toEqual([]);
      expect(rejections).toEqual([expect.objectContaining({ reason, scope: 'message' })]);
    });

    it('refuses a deeply nested entry without exhausting the stack', () => {
      const depth = 100_000;
      const payload = Buffer.from(`{"fixes":[${'['.repeat(depth)}${']'.repeat(depth)}]}`);

      const { fixes, rejections } = decodeJsonFixes(payload, receivedAt);

      expect(fixes).toEqual([]);
      expect(rejections).toEqual([expect.objectContaining({ reason: 'not_an_object', index: 0 })]);
    });

    it('refuses a payload over the size limit without parsing it', () => {
      const payload = jsonPayload({ fixes: [fix(), fix()] });

      const { fixes, rejections } = decodeJsonFixes(payload, receivedAt, {
        limits: { maxPayloadBytes: payload.length - 1 },
      });

      expect(fixes).toEqual([]);
      expect(rejections).toEqual([
        expect.objectContaining({ reason: 'payload_too_large', scope: 'message' }),
      ]);
    });

    it('keeps the fixes up to the batch limit and refuses the rest in one rejection', () => {
      const entries = Array.from({ length: 7 }, (_, i) =>
        fix({ time: Date.parse('2026-11-22T04:50:00Z') + i * 1000 }),
      );

      const { fixes, rejections } = decodeJsonFixes(jsonPayload({ fixes: entries }), receivedAt, {
        limits: { maxBatchSize: 5 },
      });

      expect(fixes.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
      expect(rejections).toEqual([
        expect.objectContaining({
          reason: 'batch_too_large',
          scope: 'fix',
          index: 5,
          field: 'fixes',
          message: expect.stringContaining('entries 5 to 6'),
        }),
      ]);
    });
  });
});
