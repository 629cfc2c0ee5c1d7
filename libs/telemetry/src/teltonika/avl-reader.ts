import { Rejection } from '../model';
import { rejection } from '../rejection';
import { crc16Ibm } from './crc16';
import {
  AVL_FRAMING_BYTES,
  AvlCodec,
  AvlIoElement,
  AvlPacket,
  AvlRecord,
  CODEC_8,
  CODEC_8_EXTENDED,
  FIXED_IO_WIDTHS,
} from './avl-packet';

export type AvlReadResult = { ok: true; packet: AvlPacket } | { ok: false; rejection: Rejection };

/** Bounds-checked big-endian reads; each returns undefined instead of reading past `end`. */
class Cursor {
  private readonly view: DataView;

  constructor(
    bytes: Uint8Array,
    public offset: number,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(size: number): number | undefined {
    if (this.offset + size > this.end) return undefined;
    const at = this.offset;
    this.offset += size;
    return at;
  }

  u8(): number | undefined {
    const at = this.take(1);
    return at === undefined ? undefined : this.view.getUint8(at);
  }

  u16(): number | undefined {
    const at = this.take(2);
    return at === undefined ? undefined : this.view.getUint16(at);
  }

  i16(): number | undefined {
    const at = this.take(2);
    return at === undefined ? undefined : this.view.getInt16(at);
  }

  i32(): number | undefined {
    const at = this.take(4);
    return at === undefined ? undefined : this.view.getInt32(at);
  }

  u64AsNumber(): number | undefined {
    const at = this.take(8);
    return at === undefined ? undefined : this.view.getUint32(at) * 2 ** 32 + this.view.getUint32(at + 4);
  }

  bytes(size: number): Uint8Array | undefined {
    const at = this.take(size);
    return at === undefined
      ? undefined
      : new Uint8Array(this.view.buffer, this.view.byteOffset + at, size).slice();
  }
}

class LayoutError {
  constructor(
    readonly reason: 'truncated' | 'io_count_mismatch',
    readonly message: string,
  ) {}
}

/**
 * Reads and verifies one AVL data packet: preamble, data field length, CRC-16/IBM over codec id through the
 * second record count, codec id, both record counts and every record's layout. A packet is one CRC-protected
 * unit, so any layout error refuses the whole packet (the rejection's `index` names the record where it was
 * found). Never throws.
 */
export function readAvlPacket(bytes: Uint8Array): AvlReadResult {
  const refuse = (reason: Rejection['reason'], message: string, index?: number): AvlReadResult => ({
    ok: false,
    rejection: rejection(reason, 'message', message, index === undefined ? {} : { index }),
  });

  if (bytes.byteLength < 8)
    return refuse('truncated', `the packet has ${bytes.byteLength} bytes, fewer than its 8-byte header`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.getUint32(0) !== 0)
    return refuse('bad_preamble', 'the packet does not start with four zero bytes');
  const dataLength = header.getUint32(4);
  const expectedLength = AVL_FRAMING_BYTES + dataLength;
  if (bytes.byteLength < expectedLength) {
    return refuse(
      'truncated',
      `the data field length says ${expectedLength} bytes in all; ${bytes.byteLength} arrived`,
    );
  }
  if (bytes.byteLength > expectedLength) {
    return refuse(
      'length_mismatch',
      `the data field length says ${expectedLength} bytes in all; ${bytes.byteLength} arrived`,
    );
  }
  if (dataLength < 3)
    return refuse(
      'length_mismatch',
      `a data field of ${dataLength} bytes cannot hold codec id and record counts`,
    );

  const dataEnd = 8 + dataLength;
  const sentCrc = header.getUint32(dataEnd);
  const computedCrc = crc16Ibm(bytes, 8, dataEnd);
  if (sentCrc !== computedCrc) {
    return refuse(
      'bad_crc',
      `CRC-16/IBM is 0x${computedCrc.toString(16).padStart(4, '0')}; the packet says 0x${sentCrc.toString(16)}`,
    );
  }

  const codecId = header.getUint8(8);
  if (codecId !== CODEC_8 && codecId !== CODEC_8_EXTENDED) {
    return refuse(
      'unknown_codec',
      `codec 0x${codecId.toString(16).padStart(2, '0')} is not Codec 8 (0x08) or Codec 8 Extended (0x8e)`,
    );
  }
  const countBefore = header.getUint8(9);
  const countAfter = header.getUint8(dataEnd - 1);
  if (countBefore !== countAfter) {
    return refuse(
      'record_count_mismatch',
      `the packet announces ${countBefore} records and ends with ${countAfter}`,
    );
  }
  if (countBefore === 0) return refuse('empty_batch', 'the packet holds no records');

  const cursor = new Cursor(bytes, 10, dataEnd - 1);
  const records: AvlRecord[] = [];
  for (let index = 0; index < countBefore; index++) {
    const record = readRecord(cursor, codecId);
    if (record instanceof LayoutError)
      return refuse(record.reason, `record ${index}: ${record.message}`, index);
    records.push(record);
  }
  if (cursor.offset !== dataEnd - 1) {
    return refuse(
      'length_mismatch',
      `${dataEnd - 1 - cursor.offset} bytes are left over after the last record`,
    );
  }
  return { ok: true, packet: { codec: codecId, records } };
}

function readRecord(cursor: Cursor, codec: AvlCodec): AvlRecord | LayoutError {
  const truncated = (what: string) => new LayoutError('truncated', `the data field ends inside the ${what}`);
  const timestampMs = cursor.u64AsNumber();
  const priority = cursor.u8();
  const longitudeE7 = cursor.i32();
  const latitudeE7 = cursor.i32();
  const altitude = cursor.i16();
  const angle = cursor.u16();
  const satellites = cursor.u8();
  const speed = cursor.u16();
  if (
    timestampMs === undefined ||
    priority === undefined ||
    longitudeE7 === undefined ||
    latitudeE7 === undefined ||
    altitude === undefined ||
    angle === undefined ||
    satellites === undefined ||
    speed === undefined
  ) {
    return truncated('timestamp, priority or GPS element');
  }

  const extended = codec === CODEC_8_EXTENDED;
  const readCount = (): number | undefined => (extended ? cursor.u16() : cursor.u8());
  const eventIoId = readCount();
  const declaredTotal = readCount();
  if (eventIoId === undefined || declaredTotal === undefined) return truncated('I/O element header');

  const io: AvlIoElement[] = [];
  for (const width of FIXED_IO_WIDTHS) {
    const count = readCount();
    if (count === undefined) return truncated(`count of ${width}-byte I/O elements`);
    for (let i = 0; i < count; i++) {
      const id = readCount();
      const value = cursor.bytes(width);
      if (id === undefined || value === undefined) return truncated(`${width}-byte I/O elements`);
      io.push({ id, width, bytes: value });
    }
  }
  if (extended) {
    const count = cursor.u16();
    if (count === undefined) return truncated('count of variable-length I/O elements');
    for (let i = 0; i < count; i++) {
      const id = cursor.u16();
      const length = cursor.u16();
      const value = length === undefined ? undefined : cursor.bytes(length);
      if (id === undefined || value === undefined) return truncated('variable-length I/O elements');
      io.push({ id, width: 0, bytes: value });
    }
  }
  if (io.length !== declaredTotal) {
    return new LayoutError(
      'io_count_mismatch',
      `${declaredTotal} I/O elements announced, ${io.length} found`,
    );
  }
  return {
    timestampMs,
    priority,
    longitudeE7,
    latitudeE7,
    altitude,
    angle,
    satellites,
    speed,
    eventIoId,
    io,
  };
}
