import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The three headers of a Standard Webhooks request. */
export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

const SECRET_PREFIX = 'whsec_';

/** A new per-agency signing secret in the Standard Webhooks form `whsec_<base64 of 32 random bytes>`. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Signs one request: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` with the decoded secret. */
export function signWebhook(secret: string, id: string, timestamp: Date, body: string): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
  };
}

export type WebhookVerification =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

/**
 * Verifies a received request as a receiver would, at `now`: the signature (any of the space-separated `v1,`
 * signatures, for secret rotation) and a timestamp within `toleranceSeconds`, against replays.
 */
export function verifyWebhook(
  secret: string,
  headers: Partial<Record<keyof WebhookHeaders, string | undefined>>,
  body: string,
  now: Date,
  toleranceSeconds = 300,
): WebhookVerification {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { valid: false, reason: 'missing_headers' };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds)
    return { valid: false, reason: 'stale_timestamp' };
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { valid: true };
  }
  return { valid: false, reason: 'bad_signature' };
}
