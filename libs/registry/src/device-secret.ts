import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device secrets are 256 random bits, so a keyed fast hash (HMAC-SHA256) is enough to make a stolen table
 * useless and stays cheap when thousands of trackers reconnect at once; a slow password hash would not.
 */
export function generateDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashDeviceSecret(key: string, secret: string): string {
  return createHmac('sha256', key).update(secret, 'utf8').digest('hex');
}

export function verifyDeviceSecret(key: string, secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashDeviceSecret(key, secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
