import { avlRecord, hexPacket, ioElement, TELTONIKA_SAMPLES, withRecomputedCrc } from '../testing/fixtures';
import { CODEC_8, CODEC_8_EXTENDED } from './avl-packet';
import { writeAvlPacket } from './avl-writer';
import { decodeTeltonika } from './teltonika-decoder';

const receivedAt = new Date('2026-11-22T04:00:30Z');

describe(decodeTeltonika.name, () => {
  describe('public sample packets', () => {
    it('decodes the Codec 8 sample from Vienna to its stated time, position, speed and satellites', () => {
      const { fixes, rejections } = decodeTeltonika(hexPacket(TELTONIKA_SAMPLES.codec8Vienna), receivedAt);

      expect(rejections).toEqual([]);
      expect(fixes).toHaveLength(1);
      const fix = fixes[0]!;
      expect(new Date(fix.time).toISOString()).toBe('2019-01-04T12:27:19.000Z');
      expect(fix.lat).toBe(48.1523066);
      expect(fix.lon).toBe(16.3745183);
      expect(fix.speedKmh).toBe(83);
      expect(fix.satellites).toBe(15);
      expect(fix.altitudeM).toBe(190);
      expect(fix.headingDeg).toBe(198);
      expect(fix.externalVoltageV).toBe(14.233);
      expect(fix.batteryV).toBe(3.976);
      expect(fix.unplugged).toBe(false);
      expect(fix.events).toEqual([]);
      expect(fix.source).toBe('teltonika');
      expect(fix.teltonika).toMatchObject({ codec: '8', priority: 0, eventIoId: 0 });
      expect(fix.teltonika?.io.map((element) => element.id)).toEqual([
        240, 21, 200, 1, 29, 252, 66, 24, 205, 206, 67, 25, 86, 241, 16,
      ]);
      expect(fix.teltonika?.io.find((element) => element.id === 16)).toEqual({
        id: 16,
        width: 4,
        hex: '002887e0',
        value: 2656224,
      });
    });

    it('decodes the Codec 8 sample from the Gulf to its stated time and position', () => {
      const { fixes, rejections } = decodeTeltonika(hexPacket(TELTONIKA_SAMPLES.codec8Gulf), receivedAt);

      expect(rejections).toEqual([]);
      expect(fixes).toHaveLength(1);
      expect(new Date(fixes[0]!.time).toISOString()).toBe('2015-09-02T12:21:40.000Z');
      expect(fixes[0]!.lat).toBe(25.6808615);
      expect(fixes[0]!.lon).toBe(55.7956015);
      expect(fixes[0]!.altitudeM).toBe(-6);
      expect(fixes[0]!.externalVoltageV).toBe(26.268);
    });

    it('decodes the Codec 8 Extended sample with its millisecond time and one variable-length I/O element', () => {
      const { fixes, rejections } = decodeTeltonika(
        hexPacket(TELTONIKA_SAMPLES.codec8ExtendedVilnius),
        receivedAt,
      );

      expect(rejections).toEqual([]);
      expect(fixes).toHaveLength(1);
      const fix = fixes[0]!;
      expect(new Date(fix.time).toISOString()).toBe('2022-09-23T04:22:29.011Z');
      expect(fix.lat).toBe(54.70086);
      expect(fix.lon).toBe(25.25975);
      expect(fix.satellites).toBe(14);
      expect(fix.teltonika?.codec).toBe('8E');
      expect(fix.teltonika?.eventIoId).toBe(10831);
      expect(fix.teltonika?.io).toEqual([
        { id: 10831, width: 0, hex: '011c0001a40110eb47706aa38255aa96f21a154e2d00550d01000e020bd6' },
      ]);
    });

    it('flags the clock of samples that arrive years after they were recorded', () => {
      const { fixes } = decodeTeltonika(hexPacket(TELTONIKA_SAMPLES.codec8Vienna), receivedAt);

      expect(fixes[0]!.flags).toEqual(['stale_time', 'clock']);
      expect(fixes[0]!.trusted).toBe(false);
    });

    it('trusts the same sample when it arrives right after it was recorded', () => {
      const { fixes } = decodeTeltonika(
        hexPacket(TELTONIKA_SAMPLES.codec8Vienna),
        new Date('2019-01-04T12:27:25Z'),
      );

      expect(fixes[0]!.flags).toEqual([]);
      expect(fixes[0]!.trusted).toBe(true);
    });
  });

  describe('I/O mapping', () => {
    const decodeRecord = (
      overrides: Parameters<typeof avlRecord>[0],
      codec: typeof CODEC_8 | typeof CODEC_8_EXTENDED = CODEC_8,
    ) => decodeTeltonika(writeAvlPacket({ codec, records: [avlRecord(overrides)] }), receivedAt).fixes[0]!;

    it('maps ignition, voltages in millivolts and dilutions of precision in tenths', () => {
      const fix = decodeRecord({
        io: [
          ioElement(239, 1, 1),
          ioElement(66, 2, 24750),
          ioElement(67, 2, 4012),
          ioElement(181, 2, 14),
          ioElement(182, 2, 9),
        ],
      });

      expect(fix).toMatchObject({
        ignition: true,
        externalVoltageV: 24.75,
        batteryV: 4.012,
        pdop: 1.4,
        hdop: 0.9,
      });
      expect(fix.events).toEqual([]);
    });

    it('reports an ignition change as an event only when ignition triggered the record', () => {
      expect(decodeRecord({ eventIoId: 239, io: [ioElement(239, 1, 1)] }).events).toEqual(['ignition_on']);
      expect(decodeRecord({ eventIoId: 239, io: [ioElement(239, 1, 0)] }).events).toEqual(['ignition_off']);
      expect(decodeRecord({ eventIoId: 0, io: [ioElement(239, 1, 0)] }).events).toEqual([]);
    });

    it('maps GSM jamming (249), GNSS jamming states (318), unplug (252) and towing (246) to fields and events', () => {
      const fix = decodeRecord(
        { io: [ioElement(249, 1, 1), ioElement(318, 1, 2), ioElement(252, 1, 1), ioElement(246, 1, 1)] },
        CODEC_8_EXTENDED,
      );

      expect(fix).toMatchObject({ gsmJamming: true, gnssJamming: 'critical', unplugged: true, towing: true });
      expect(fix.events).toEqual(['gnss_jamming', 'gsm_jamming', 'unplug', 'towing']);
    });

    it('reads a GNSS jamming warning as an event and a healthy state as none', () => {
      expect(decodeRecord({ io: [ioElement(318, 1, 1)] }, CODEC_8_EXTENDED)).toMatchObject({
        gnssJamming: 'warning',
        events: ['gnss_jamming'],
      });
      expect(decodeRecord({ io: [ioElement(318, 1, 0)] }, CODEC_8_EXTENDED)).toMatchObject({
        gnssJamming: 'none',
        events: [],
      });
    });

    it('keeps an unknown GNSS jamming state only as raw evidence', () => {
      const fix = decodeRecord({ io: [ioElement(318, 1, 7)] }, CODEC_8_EXTENDED);

      expect(fix.gnssJamming).toBeUndefined();
      expect(fix.teltonika?.io).toEqual([{ id: 318, width: 1, hex: '07', value: 7 }]);
    });

    it('reads panic priority as an SOS event', () => {
      expect(decodeRecord({ priority: 2 }).events).toEqual(['sos']);
      expect(decodeRecord({ priority: 1 }).events).toEqual([]);
    });

    it('decodes negative coordinates as two’s complement (southern and western hemispheres)', () => {
      const fix = decodeRecord({ latitudeE7: -120464000, longitudeE7: -770428000 });

      expect(fix.lat).toBe(-12.0464);
      expect(fix.lon).toBe(-77.0428);
    });

    it('keeps 8-byte values beyond 2^53 as decimal strings', () => {
      const bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
      const fix = decodeRecord({ io: [{ id: 78, width: 8, bytes }] });

      expect(fix.teltonika?.io).toEqual([
        { id: 78, width: 8, hex: 'fffffffffffffffe', value: '18446744073709551614' },
      ]);
    });

    it('flags a record without a GNSS fix (no satellites, Teltonika zeroes the position)', () => {
      const fix = decodeRecord({ satellites: 0, latitudeE7: 0, longitudeE7: 0 });

      expect(fix.flags).toEqual(['null_island', 'no_gnss_fix']);
      expect(fix.trusted).toBe(false);
    });

    it('keeps every record of a multi-record packet in order', () => {
      const records = [0, 1, 2].map((i) =>
        avlRecord({
          timestampMs: Date.parse('2026-11-22T04:00:00Z') + i * 10_000,
          latitudeE7: -120464000 + i * 100,
        }),
      );
      const { fixes } = decodeTeltonika(writeAvlPacket({ codec: CODEC_8, records }), receivedAt);

      expect(fixes.map((fix) => fix.index)).toEqual([0, 1, 2]);
      expect(fixes.map((fix) => fix.lat)).toEqual([-12.0464, -12.04639, -12.04638]);
    });
  });

  describe('rejections', () => {
    const vienna = hexPacket(TELTONIKA_SAMPLES.codec8Vienna);
    const reasonsOf = (payload: Buffer, limits = {}) => {
      const result = decodeTeltonika(payload, receivedAt, { limits });
      return { fixes: result.fixes.length, reasons: result.rejections.map((r) => r.reason) };
    };

    it('refuses an empty payload as empty', () => {
      expect(reasonsOf(Buffer.alloc(0))).toEqual({ fixes: 0, reasons: ['empty_payload'] });
    });

    it('refuses a packet shorter than its header as truncated', () => {
      expect(reasonsOf(vienna.subarray(0, 6))).toEqual({ fixes: 0, reasons: ['truncated'] });
    });

    it('refuses a packet cut before the end its length announces as truncated', () => {
      expect(reasonsOf(vienna.subarray(0, vienna.length - 1))).toEqual({ fixes: 0, reasons: ['truncated'] });
    });

    it('refuses a packet that does not start with four zero bytes', () => {
      const payload = Buffer.from(vienna);
      payload[2] = 1;
      expect(reasonsOf(payload)).toEqual({ fixes: 0, reasons: ['bad_preamble'] });
    });

    it('refuses bytes beyond the announced length', () => {
      expect(reasonsOf(Buffer.concat([vienna, Buffer.from([0])]))).toEqual({
        fixes: 0,
        reasons: ['length_mismatch'],
      });
    });

    it('refuses a data field too short to hold the codec id and counts', () => {
      expect(reasonsOf(withRecomputedCrc(hexPacket('000000000000000208010000ffff')))).toEqual({
        fixes: 0,
        reasons: ['length_mismatch'],
      });
    });

    it('refuses a packet whose CRC does not match, naming both values', () => {
      const payload = Buffer.from(vienna);
      payload[30] = payload[30]! ^ 0x01;
      const { rejections } = decodeTeltonika(payload, receivedAt);

      expect(rejections).toEqual([
        {
          reason: 'bad_crc',
          scope: 'message',
          message: expect.stringMatching(/^CRC-16\/IBM is 0x[0-9a-f]{4}; the packet says 0xee8d$/),
        },
      ]);
    });

    it('refuses codecs other than 8 and 8 Extended', () => {
      const payload = Buffer.from(vienna);
      payload[8] = 0x10;
      expect(reasonsOf(withRecomputedCrc(payload))).toEqual({ fixes: 0, reasons: ['unknown_codec'] });
    });

    it('refuses a packet whose two record counts differ', () => {
      const payload = Buffer.from(vienna);
      payload[payload.length - 5] = 2;
      expect(reasonsOf(withRecomputedCrc(payload))).toEqual({ fixes: 0, reasons: ['record_count_mismatch'] });
    });

    it('refuses a packet announcing zero records', () => {
      expect(reasonsOf(withRecomputedCrc(hexPacket('0000000000000003080000ffffffff')))).toEqual({
        fixes: 0,
        reasons: ['empty_batch'],
      });
    });

    it('refuses a record whose I/O total disagrees with its groups, naming the record', () => {
      const records = [avlRecord(), avlRecord({ io: [ioElement(239, 1, 1)] })];
      const payload = Buffer.from(writeAvlPacket({ codec: CODEC_8, records }));
      const secondRecordTotalAt = 10 + 30 + 24 + 1;
      payload[secondRecordTotalAt] = 2;
      const { fixes, rejections } = decodeTeltonika(withRecomputedCrc(payload), receivedAt);

      expect(fixes).toEqual([]);
      expect(rejections).toEqual([
        expect.objectContaining({ reason: 'io_count_mismatch', scope: 'message', index: 1 }),
      ]);
    });

    it('refuses records that claim more I/O elements than the data field holds as truncated', () => {
      const payload = Buffer.from(
        writeAvlPacket({ codec: CODEC_8, records: [avlRecord({ io: [ioElement(239, 1, 1)] })] }),
      );
      const oneByteCountAt = 10 + 24 + 2;
      payload[oneByteCountAt] = 9;
      const { rejections } = decodeTeltonika(withRecomputedCrc(payload), receivedAt);

      expect(rejections).toEqual([expect.objectContaining({ reason: 'truncated', index: 0 })]);
    });

    it('refuses bytes left over between the last record and the closing count', () => {
      const payload = writeAvlPacket({ codec: CODEC_8, records: [avlRecord()] });
      const padded = Buffer.concat([
        payload.subarray(0, payload.length - 5),
        Buffer.from([0]),
        payload.subarray(payload.length - 5),
      ]);
      padded.writeUInt32BE(padded.readUInt32BE(4) + 1, 4);
      expect(reasonsOf(withRecomputedCrc(padded))).toEqual({ fixes: 0, reasons: ['length_mismatch'] });
    });

    it('refuses a payload above the size limit before reading it', () => {
      expect(reasonsOf(vienna, { maxPayloadBytes: 64 })).toEqual({
        fixes: 0,
        reasons: ['payload_too_large'],
      });
    });

    it('refuses only the record whose timestamp is not a date and keeps the others', () => {
      const records = [
        avlRecord(),
        avlRecord({ timestampMs: 2 ** 60 }),
        avlRecord({ timestampMs: Date.parse('2026-11-22T04:00:10Z') }),
      ];
      const { fixes, rejections } = decodeTeltonika(
        writeAvlPacket({ codec: CODEC_8_EXTENDED, records }),
        receivedAt,
      );

      expect(fixes.map((fix) => fix.index)).toEqual([0, 2]);
      expect(rejections).toEqual([
        expect.objectContaining({ reason: 'invalid_time', scope: 'fix', index: 1, field: 'timestamp' }),
      ]);
    });
  });
});
