export * from './model';
export { DEFAULT_LIMITS, resolveLimits } from './options';
export type { DecodeContext, DecodeLimits } from './options';
export {
  DEVICE_CHANNELS,
  INBOUND_CHANNELS,
  deviceTopic,
  errorsTopic,
  parseDeviceTopic,
  receiptsTopic,
} from './topic';
export type { DeviceChannel, DeviceTopic, TopicParseResult } from './topic';
export { decodeDeviceMessage, decodeDevicePayload } from './device-message';
export type { DeviceMessageResult, DevicePayloadResult } from './device-message';
export {
  decodeJsonFixDrafts,
  decodeJsonFixes,
  isFixEvent,
  JSON_NUMERIC_FIELDS,
  MAX_EVENTS_PER_FIX,
} from './json/fix-decoder';
export { decodeStatus, MAX_STATUS_TEXT } from './json/status-decoder';
export type { StatusDecodeResult } from './json/status-decoder';
export { decodeTeltonika, decodeTeltonikaDrafts, TELTONIKA_IO } from './teltonika/teltonika-decoder';
export { readAvlPacket } from './teltonika/avl-reader';
export type { DraftsResult } from './json/fix-decoder';
export type { AvlReadResult } from './teltonika/avl-reader';
export { writeAvlPacket } from './teltonika/avl-writer';
export { CODEC_8, CODEC_8_EXTENDED } from './teltonika/avl-packet';
export type { AvlCodec, AvlIoElement, AvlIoWidth, AvlPacket, AvlRecord } from './teltonika/avl-packet';
export { crc16Ibm } from './teltonika/crc16';
export { assessPlausibility } from './plausibility';
export type { FixDraft } from './plausibility';
export { distanceMeters, isOnEarth } from './geo';
export { errorsPayload, MAX_REJECTIONS_PER_ERRORS_MESSAGE } from './errors-payload';
export type { ClockDoubt, ErrorsPayload, UntrustedClockFix } from './errors-payload';
export { MAX_FIXES_PER_RECEIPT, receiptPayloads, readReceiptPayload } from './receipts';
export type { ReceiptPayload, ReceiptedFix } from './receipts';
export {
  FIX_COLUMNS,
  FIX_TIME_MAX_MS,
  FIX_TIME_MIN_MS,
  FLOAT4_MAX,
  FLOAT4_MIN_NORMAL,
  INTEGER_RANGES,
  isStorable,
  keepStorable,
  unstorableField,
  unstorableReason,
} from './storable';
export type { StoredColumnType, StoredFixField } from './storable';
