import { crc16Ibm } from './crc16';
import { AvlIoElement, AvlPacket, AvlRecord, CODEC_8_EXTENDED, FIXED_IO_WIDTHS } from './avl-packet';

/**
 * Encodes an AVL data packet with TCP framing and a valid CRC, e.g. for a device simulator. I/O elements are
 * written grouped by width (1, 2, 4, 8, then variable), keeping their order within a group. Throws on values
 * the codec cannot carry: this is for trusted callers, not for device input.
 */
export function writeAvlPacket(packet: AvlPacket): Buffer {
  const extended = packet.codec === CODEC_8_EXTENDED;
  if (packet.records.length > 255) throw new RangeError('an AVL packet holds at most 255 records');
  const data = Buffer.concat([
    Buffer.from([packet.codec, packet.records.length]),
    ...packet.records.map((record) => writeRecord(record, extended)),
    Buffer.from([packet.records.length]),
  ]);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc16Ibm(data), 0);
  return Buffer.concat([header, data, crc]);
}

function writeRecord(record: AvlRecord, extended: boolean): Buffer {
  const gps = Buffer.alloc(24);
  gps.writeUInt32BE(Math.floor(record.timestampMs / 2 ** 32), 0);
  gps.writeUInt32BE(record.timestampMs % 2 ** 32, 4);
  gps.writeUInt8(record.priority, 8);
  gps.writeInt32BE(record.longitudeE7, 9);
  gps.writeInt32BE(record.latitudeE7, 13);
  gps.writeInt16BE(record.altitude, 17);
  gps.writeUInt16BE(record.angle, 19);
  gps.writeUInt8(record.satellites, 21);
  gps.writeUInt16BE(record.speed, 22);

  const count = (value: number): Buffer => {
    const bytes = Buffer.alloc(extended ? 2 : 1);
    if (extended) bytes.writeUInt16BE(value, 0);
    else bytes.writeUInt8(value, 0);
    return bytes;
  };
  const parts: Buffer[] = [gps, count(record.eventIoId), count(record.io.length)];
  const groups: { width: AvlIoElement['width']; elements: AvlIoElement[] }[] = [
    ...FIXED_IO_WIDTHS.map((width) => ({
      width,
      elements: record.io.filter((element) => element.width === width),
    })),
    ...(extended
      ? [{ width: 0 as const, elements: record.io.filter((element) => element.width === 0) }]
      : []),
  ];
  if (!extended && record.io.some((element) => element.width === 0)) {
    throw new RangeError('variable-length I/O elements need Codec 8 Extended');
  }
  for (const group of groups) {
    parts.push(count(group.elements.length));
    for (const element of group.elements) {
      if (group.width !== 0 && element.bytes.length !== group.width) {
        throw new RangeError(
          `I/O element ${element.id} has ${element.bytes.length} bytes, not ${group.width}`,
        );
      }
      parts.push(count(element.id));
      if (group.width === 0) parts.push(count(element.bytes.length));
      parts.push(Buffer.from(element.bytes));
    }
  }
  return Buffer.concat(parts);
}
