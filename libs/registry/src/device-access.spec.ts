import { decideConnection, isDeviceTopicAllowed, TrackerCredentialRecord } from './device-access';
import { generateDeviceSecret, hashDeviceSecret } from './device-secret';

const KEY = 'k'.repeat(40);
const IMEI = '356307042441013';
const SECRET = generateDeviceSecret();
const record = (overrides: Partial<TrackerCredentialRecord> = {}): TrackerCredentialRecord => ({
  imei: IMEI,
  secretHash: hashDeviceSecret(KEY, SECRET),
  machineStatus: 'active',
  ...overrides,
});
const connect = (overrides: Partial<{ clientId: string; username: string; password: string }> = {}) => ({
  clientId: IMEI,
  username: IMEI,
  password: SECRET,
  ...overrides,
});

describe(decideConnection.name, () => {
  it.each(['pending_installation', 'active', 'suspended'] as const)(
    'lets a tracker of a %s machine connect',
    (machineStatus) => {
      expect(decideConnection(connect(), record({ machineStatus }), KEY)).toEqual({ allowed: true });
    },
  );

  it.each([
    ['invalid_imei', connect({ username: '356307042441014', clientId: '356307042441014' }), record()],
    ['client_id_mismatch', connect({ clientId: 'someone-else' }), record()],
    ['unknown_tracker', connect(), undefined],
    ['no_credentials', connect(), record({ secretHash: null })],
    ['wrong_secret', connect({ password: generateDeviceSecret() }), record()],
    ['not_bound', connect(), record({ machineStatus: null })],
    ['machine_decommissioned', connect(), record({ machineStatus: 'decommissioned' })],
  ] as const)('denies with reason %s', (reason, input, stored) => {
    expect(decideConnection(input, stored, KEY)).toEqual({ allowed: false, reason });
  });
});

describe(isDeviceTopicAllowed.name, () => {
  it('allows publishing fixes, status and Teltonika packets under its own IMEI only', () => {
    for (const channel of ['fixes', 'status', 'teltonika']) {
      expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/${channel}`, 'publish')).toBe(true);
    }
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/errors`, 'publish')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/receipts`, 'publish')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/490154203237518/fixes`, 'publish')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/fixes/extra`, 'publish')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, 'agencies/FEMA/alerts', 'publish')).toBe(false);
  });

  it('allows subscribing to its own errors topic only', () => {
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/errors`, 'subscribe')).toBe(true);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/receipts`, 'subscribe')).toBe(true);
    expect(isDeviceTopicAllowed(IMEI, `devices/+/errors`, 'subscribe')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/+/receipts`, 'subscribe')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/490154203237518/receipts`, 'subscribe')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/+`, 'subscribe')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/#`, 'subscribe')).toBe(false);
    expect(isDeviceTopicAllowed(IMEI, `devices/${IMEI}/fixes`, 'subscribe')).toBe(false);
  });
});
