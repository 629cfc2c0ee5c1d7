import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Store } from '@app/db';
import {
  AccessDecision,
  MachineStatus,
  decideConnection,
  isDeviceTopicAllowed,
  verifyDeviceSecret,
} from '@app/registry';

export const AGENCY_USERNAME_PREFIX = 'agency:';

/** The registry as the source of truth for which trackers may connect and where they may publish. */
@Injectable()
export class DeviceAccessService {
  constructor(
    private readonly store: Store,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async authenticate(clientId: string, username: string, password: string): Promise<AccessDecision> {
    const record = /^\d{15}$/.test(username)
      ? await this.store.repos.trackers.credentialRecord(username)
      : undefined;
    return decideConnection(
      { clientId, username, password },
      record && {
        imei: record.imei,
        secretHash: record.secretHash,
        machineStatus: record.machineStatus as MachineStatus | null,
      },
      this.config.deviceSecretKey,
    );
  }

  authorize(imei: string, topic: string, action: 'publish' | 'subscribe'): boolean {
    return isDeviceTopicAllowed(imei, topic, action);
  }

  /** An agency's system, by username `agency:{code}` and the password issued to it; resolves to its code. */
  async authenticateAgency(username: string, password: string): Promise<string | undefined> {
    if (!username.startsWith(AGENCY_USERNAME_PREFIX)) return undefined;
    const code = username.slice(AGENCY_USERNAME_PREFIX.length);
    const hash = await this.store.repos.agencyChannels.mqttSecretHash(code);
    return hash && verifyDeviceSecret(this.config.deviceSecretKey, password, hash) ? code : undefined;
  }

  /** An agency only subscribes, and only to its own alerts topic. */
  authorizeAgency(code: string, topic: string, action: 'publish' | 'subscribe'): boolean {
    return action === 'subscribe' && topic === `agencies/${code}/alerts`;
  }
}
