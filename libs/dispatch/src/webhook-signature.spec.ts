import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ specversion: '1.0', id: 'evt-1', type: 'violation.opened' });
  const at = new Date('2026-12-01T09:00:00Z');

  it('signs so that the reference implementation verifies, with a whsec_ secret of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signWebhook(secret, 'msg_1', new Date(), body);
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('matches the specification test vector', () => {
    // Test vector of the Standard Webhooks specification.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = signWebhook(
      secret,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies at a given time, refuses stale or future timestamps, a changed body, a wrong secret', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook(secret, 'msg_2', at, body);
    expect(verifyWebhook(secret, headers, body, at)).toEqual({ valid: true });
    expect(verifyWebhook(secret, headers, body, new Date(at.getTime() + 299_000))).toEqual({ valid: true });
    expect(verifyWebhook(secret, headers, body, new Date(at.getTime() + 301_000))).toEqual({
      valid: false,
      reason: 'stale_timestamp',
    });
    expect(verifyWebhook(secret, headers, body, new Date(at.getTime() - 301_000)).valid).toBe(false);
    expect(verifyWebhook(secret, headers, body.replace('opened', 'closed'), at)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    expect(verifyWebhook(generateWebhookSecret(), headers, body, at).valid).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-id': 'msg_3' }, body, at).valid).toBe(false);
    expect(verifyWebhook(secret, { 'webhook-id': 'msg_2' }, body, at)).toEqual({
      valid: false,
      reason: 'missing_headers',
    });
  });

  it('accepts any of several space-separated signatures, as during a secret rotation', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const signedOld = signWebhook(oldSecret, 'msg_4', at, body);
    const signedNew = signWebhook(newSecret, 'msg_4', at, body);
    const both = {
      ...signedNew,
      'webhook-signature': `${signedOld['webhook-signature']} ${signedNew['webhook-signature']}`,
    };
    expect(verifyWebhook(newSecret, both, body, at).valid).toBe(true);
    expect(verifyWebhook(oldSecret, both, body, at).valid).toBe(true);
  });
});
