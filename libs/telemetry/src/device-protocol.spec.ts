import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDeviceMessage } from './device-message';
import { errorsPayload } from './errors-payload';
import { receiptPayloads } from './receipts';
import { FIX_EVENTS, FIX_FLAGS, REJECTION_REASONS, RejectionReason } from './model';
import { DecodeContext } from './options';
import {
  avlRecord,
  hexPacket,
  ioElement,
  IMEI,
  jsonPayload,
  OTHER_IMEI,
  TELTONIKA_SAMPLES,
  withRecomputedCrc,
} from './testing/fixtures';
import { CODEC_8 } from './teltonika/avl-packet';
import { writeAvlPacket } from './teltonika/avl-writer';

const fixes = `devices/${IMEI}/fixes`;
const teltonika = `devices/${IMEI}/teltonika`;
const status = `devices/${IMEI}/status`;
const goodFix = { time: '2026-11-22T04:59:00Z', lat: -12, lon: -77 };
const vienna = hexPacket(TELTONIKA_SAMPLES.codec8Vienna);

function patched(packet: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(packet);
  copy[at] = value;
  return copy;
}

const oneRecordWithIgnition = writeAvlPacket({
  codec: CODEC_8,
  records: [avlRecord({ io: [ioElement(239, 1, 1)] })],
});

/** One message that provokes each reason code, through the same entry point the ingest uses. */
const provocations: Record<RejectionReason, [topic: string, payload: Buffer, context?: DecodeContext]> = {
  unknown_topic: [`devices/${IMEI}/positions`, jsonPayload(goodFix)],
  topic_imei_invalid: ['devices/356307042441014/fixes', jsonPayload(goodFix)],
  topic_imei_mismatch: [`devices/${OTHER_IMEI}/fixes`, jsonPayload(goodFix), { authenticatedImei: IMEI }],
  read_only_topic: [`devices/${IMEI}/errors`, jsonPayload(goodFix)],
  empty_payload: [fixes, Buffer.alloc(0)],
  payload_too_large: [teltonika, vienna, { limits: { maxPayloadBytes: 16 } }],
  invalid_encoding: [status, Buffer.from([0xc3, 0x28])],
  invalid_json: [fixes, Buffer.from('{fixes:[]}')],
  not_an_object: [fixes, jsonPayload(null)],
  invalid_batch: [fixes, jsonPayload({ fixes: 'many' })],
  empty_batch: [fixes, jsonPayload({ fixes: [] })],
  batch_too_large: [fixes, jsonPayload({ fixes: [goodFix, goodFix] }), { limits: { maxBatchSize: 1 } }],
  missing_field: [fixes, jsonPayload({ lat: -12, lon: -77 })],
  invalid_type: [fixes, jsonPayload({ ...goodFix, lat: '-12' })],
  invalid_time: [fixes, jsonPayload({ ...goodFix, time: '22/11/2026 04:59' })],
  invalid_value: [status, jsonPayload({ state: 'asleep' })],
  out_of_range: [fixes, jsonPayload({ ...goodFix, heading: 720 })],
  unknown_event: [fixes, jsonPayload({ ...goodFix, events: ['teleported'] })],
  truncated: [teltonika, vienna.subarray(0, 40)],
  bad_preamble: [teltonika, patched(vienna, 0, 0xff)],
  length_mismatch: [teltonika, Buffer.concat([vienna, vienna])],
  bad_crc: [teltonika, patched(vienna, vienna.length - 1, 0)],
  unknown_codec: [teltonika, withRecomputedCrc(patched(vienna, 8, 0x0c))],
  record_count_mismatch: [teltonika, withRecomputedCrc(patched(vienna, 9, 3))],
  io_count_mismatch: [teltonika, withRecomputedCrc(patched(oneRecordWithIgnition, 10 + 24 + 1, 0))],
};

const documentation = readFileSync(join(__dirname, '../../../docs/device-protocol.md'), 'utf8');

describe('device protocol', () => {
  it.each(REJECTION_REASONS.map((reason) => [reason]))(
    '%s is produced by the message made for it',
    (reason) => {
      const [topic, payload, context] = provocations[reason];

      const { rejections } = decodeDeviceMessage(topic, payload, new Date('2026-11-22T05:00:00Z'), context);

      expect(rejections.map((r) => r.reason)).toContain(reason);
    },
  );

  it.each(REJECTION_REASONS.map((reason) => [reason]))(
    '%s is documented for firmware developers',
    (reason) => {
      expect(documentation).toContain(`\`${reason}\``);
    },
  );

  it.each([...FIX_FLAGS, ...FIX_EVENTS].map((code) => [code]))(
    '%s is documented for firmware developers',
    (code) => {
      expect(documentation).toContain(`\`${code}\``);
    },
  );

  describe('examples in the documentation', () => {
    const examples = [...documentation.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (match) => JSON.parse(match[1]!) as Record<string, unknown>,
    );
    const receivedAt = new Date('2026-11-22T05:00:00Z');

    it('has the fix, batch, status, the two errors and the receipt examples', () => {
      expect(examples).toHaveLength(6);
    });

    it('shows the receipt the platform sends for the batch example', () => {
      const result = decodeDeviceMessage(fixes, jsonPayload(examples[1]), receivedAt);

      expect(receiptPayloads(result.fixes)).toEqual([examples[5]]);
    });

    it('shows the fixes of untrusted clock as the platform lists them', () => {
      const listed = examples[4]!['untrustedClock'] as { time: string; message: string }[];
      const result = decodeDeviceMessage(
        fixes,
        jsonPayload({ time: listed[0]!.time, lat: -12.6, lon: -69.2 }),
        receivedAt,
      );
      const payload = errorsPayload(fixes, receivedAt, result.fixes.length, result.rejections, result.fixes);

      expect(examples[4]).toEqual({
        ...payload,
        untrustedClock: [{ ...payload.untrustedClock![0], message: listed[0]!.message }],
      });
    });

    it('decodes the single fix and the batch without rejections and trusts every fix', () => {
      for (const example of examples.slice(0, 2)) {
        const result = decodeDeviceMessage(fixes, jsonPayload(example), receivedAt);

        expect(result.rejections).toEqual([]);
        expect(result.fixes.length).toBeGreaterThan(0);
        expect(result.fixes.every((fix) => fix.trusted)).toBe(true);
      }
    });

    it('decodes the status example', () => {
      expect(decodeDeviceMessage(status, jsonPayload(examples[2]), receivedAt).rejections).toEqual([]);
    });

    it('shows an errors payload with real reason codes and scopes', () => {
      const rejections = examples[3]!['rejections'] as { reason: RejectionReason; scope: string }[];

      expect(rejections.map((r) => REJECTION_REASONS.includes(r.reason))).toEqual([true, true]);
      expect(rejections.map((r) => r.scope)).toEqual(['fix', 'field']);
    });
  });
});
