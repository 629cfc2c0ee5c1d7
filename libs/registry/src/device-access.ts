import { isValidImei } from './identifiers';
import type { MachineStatus } from './machines';
import { verifyDeviceSecret } from './device-secret';

/** What the registry knows about a tracker when it tries to connect. */
export interface TrackerCredentialRecord {
  readonly imei: string;
  readonly secretHash: string | null;
  /** Status of the machine the tracker is bound to; null when it is bound to none. */
  readonly machineStatus: MachineStatus | null;
}

export type AccessDenial =
  | 'invalid_imei'
  | 'client_id_mismatch'
  | 'unknown_tracker'
  | 'no_credentials'
  | 'wrong_secret'
  | 'not_bound'
  | 'machine_decommissioned';

export type AccessDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: AccessDenial };

const ALLOW: AccessDecision = { allowed: true };
const deny = (reason: AccessDenial): AccessDecision => ({ allowed: false, reason });

/**
 * A tracker may connect while its credential is valid and its machine is not decommissioned: a machine pending
 * installation proves its installation with its first fixes, a suspended one is still tracked. Client id and
 * username are both the IMEI.
 */
export function decideConnection(
  input: { clientId: string; username: string; password: string },
  record: TrackerCredentialRecord | undefined,
  secretKey: string,
): AccessDecision {
  if (!isValidImei(input.username)) return deny('invalid_imei');
  if (input.clientId !== input.username) return deny('client_id_mismatch');
  if (!record) return deny('unknown_tracker');
  if (!record.secretHash) return deny('no_credentials');
  if (!verifyDeviceSecret(secretKey, input.password, record.secretHash)) return deny('wrong_secret');
  if (record.machineStatus === null) return deny('not_bound');
  if (record.machineStatus === 'decommissioned') return deny('machine_decommissioned');
  return ALLOW;
}

export const DEVICE_PUBLISH_CHANNELS = ['fixes', 'status', 'teltonika'] as const;
export const DEVICE_SUBSCRIBE_CHANNELS = ['errors', 'receipts'] as const;

/**
 * A device publishes only under its own `devices/{imei}/` and subscribes only to its own `errors` and `receipts`
 * topics (literal topics: no wildcard, nothing of another device).
 */
export function isDeviceTopicAllowed(imei: string, topic: string, action: 'publish' | 'subscribe'): boolean {
  const prefix = `devices/${imei}/`;
  if (!topic.startsWith(prefix)) return false;
  const channel = topic.slice(prefix.length);
  const allowed: readonly string[] =
    action === 'publish' ? DEVICE_PUBLISH_CHANNELS : DEVICE_SUBSCRIBE_CHANNELS;
  return allowed.includes(channel);
}
