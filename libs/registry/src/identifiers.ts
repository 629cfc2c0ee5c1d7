/** Peruvian and telecom identifiers used by the registry, with their check digits. */

/** DNI: national identity document of a Peruvian natural person, 8 digits. */
export function isValidDni(value: string): boolean {
  return /^\d{8}$/.test(value);
}

/** Carné de Extranjería: identity card of a foreign resident, 9 to 12 digits. */
export function isValidCarneExtranjeria(value: string): boolean {
  return /^\d{9,12}$/.test(value);
}

const RUC_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;
const RUC_PREFIXES = ['10', '15', '16', '17', '20'] as const;

/** RUC: SUNAT taxpayer number, 11 digits; prefix 10/15/16/17 (persons) or 20 (companies); modulo-11 check digit. */
export function isValidRuc(value: string): boolean {
  if (!/^\d{11}$/.test(value)) return false;
  if (!RUC_PREFIXES.some((prefix) => value.startsWith(prefix))) return false;
  return rucCheckDigit(value.slice(0, 10)) === Number(value[10]);
}

export function rucCheckDigit(firstTen: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(firstTen[i]) * RUC_WEIGHTS[i]!;
  const digit = 11 - (sum % 11);
  return digit === 10 ? 0 : digit === 11 ? 1 : digit;
}

/** Luhn (mod 10) over a string of digits, the last of which is the check digit. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function luhnCheckDigit(payload: string): number {
  for (let d = 0; d <= 9; d++) if (passesLuhn(payload + d)) return d;
  throw new Error(`no Luhn digit for ${payload}`);
}

/** IMEI: 15 digits, the last a Luhn check digit. */
export function isValidImei(value: string): boolean {
  return /^\d{15}$/.test(value) && passesLuhn(value);
}

/** SIM ICCID (ITU-T E.118): 19 or 20 digits starting with 89, the last a Luhn check digit. */
export function isValidIccid(value: string): boolean {
  return /^89\d{17,18}$/.test(value) && passesLuhn(value);
}
