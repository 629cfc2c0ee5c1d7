import {
  isValidCarneExtranjeria,
  isValidDni,
  isValidIccid,
  isValidImei,
  isValidRuc,
  luhnCheckDigit,
  passesLuhn,
  rucCheckDigit,
} from './identifiers';

describe('RUC', () => {
  it.each(['20131312955', '20100047218', '20503503639'])('accepts the real RUC %s', (ruc) => {
    expect(isValidRuc(ruc)).toBe(true);
  });

  it('rejects a RUC whose check digit was altered', () => {
    expect(isValidRuc('20131312956')).toBe(false);
  });

  it('rejects wrong lengths, letters and unknown prefixes', () => {
    expect(isValidRuc('2013131295')).toBe(false);
    expect(isValidRuc('2013131295X')).toBe(false);
    const body = '3013131295';
    expect(isValidRuc(body + rucCheckDigit(body))).toBe(false);
  });

  it('maps remainders 10 and 11 to check digits 0 and 1', () => {
    for (let n = 0; n < 2000; n++) {
      const body = `20${String(n * 7919).padStart(8, '0')}`;
      const digit = rucCheckDigit(body);
      expect(digit).toBeGreaterThanOrEqual(0);
      expect(digit).toBeLessThanOrEqual(9);
      expect(isValidRuc(body + digit)).toBe(true);
    }
  });
});

describe('DNI and Carné de Extranjería', () => {
  it('accepts 8 digits for a DNI only', () => {
    expect(isValidDni('45678912')).toBe(true);
    expect(isValidDni('4567891')).toBe(false);
    expect(isValidDni('4567891a')).toBe(false);
  });

  it('accepts 9 to 12 digits for a Carné de Extranjería', () => {
    expect(isValidCarneExtranjeria('001234567')).toBe(true);
    expect(isValidCarneExtranjeria('12345678')).toBe(false);
  });
});

describe('IMEI and ICCID', () => {
  it('accepts real IMEIs and rejects a changed digit', () => {
    expect(isValidImei('356307042441013')).toBe(true);
    expect(isValidImei('490154203237518')).toBe(true);
    expect(isValidImei('490154203237517')).toBe(false);
    expect(isValidImei('49015420323751')).toBe(false);
  });

  it('computes the Luhn digit that makes a payload valid', () => {
    expect(luhnCheckDigit('35630704244101')).toBe(3);
    expect(passesLuhn('79927398713')).toBe(true);
  });

  it('accepts a 19- or 20-digit ICCID with its Luhn digit', () => {
    const payload = '895110' + '1234567890123';
    const iccid = payload + luhnCheckDigit(payload);
    expect(isValidIccid(iccid)).toBe(true);
    expect(isValidIccid(iccid.slice(0, -1) + ((Number(iccid.at(-1)) + 1) % 10))).toBe(false);
    expect(isValidIccid('12' + iccid.slice(2))).toBe(false);
  });
});
