import { crc16Ibm } from './crc16';

describe(crc16Ibm.name, () => {
  it('gives the published CRC-16/ARC check value for "123456789"', () => {
    expect(crc16Ibm(Buffer.from('123456789', 'ascii'))).toBe(0xbb3d);
  });

  it('is 0 for no bytes and honours the start and end offsets', () => {
    const bytes = Buffer.from('xx123456789yy', 'ascii');
    expect(crc16Ibm(new Uint8Array())).toBe(0);
    expect(crc16Ibm(bytes, 2, 11)).toBe(0xbb3d);
  });
});
