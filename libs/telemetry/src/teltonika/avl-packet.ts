/** The Teltonika AVL data packet (TCP framing) as bytes: Codec 8 (0x08) and Codec 8 Extended (0x8E). */

export const CODEC_8 = 0x08;
export const CODEC_8_EXTENDED = 0x8e;
export type AvlCodec = typeof CODEC_8 | typeof CODEC_8_EXTENDED;

export type AvlIoWidth = 0 | 1 | 2 | 4 | 8;

export interface AvlIoElement {
  id: number;
  /** 1, 2, 4 or 8 for the fixed-size groups; 0 for a variable-length NX element (Codec 8 Extended only). */
  width: AvlIoWidth;
  bytes: Uint8Array;
}

export interface AvlRecord {
  /** Milliseconds since 1970-01-01T00:00:00Z, as sent (unsigned 64-bit; may exceed what a Date holds). */
  timestampMs: number;
  priority: number;
  /** Degrees × 10^7, signed 32-bit. */
  longitudeE7: number;
  latitudeE7: number;
  /** Metres, signed 16-bit. */
  altitude: number;
  angle: number;
  satellites: number;
  /** km/h. */
  speed: number;
  eventIoId: number;
  io: AvlIoElement[];
}

export interface AvlPacket {
  codec: AvlCodec;
  records: AvlRecord[];
}

/** Preamble, data field length and CRC around the data field. */
export const AVL_FRAMING_BYTES = 12;
export const FIXED_IO_WIDTHS = [1, 2, 4, 8] as const;
