import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Store } from '@app/db';
import { AccessDecision, MachineStatus, decideConnection, isDeviceTopicAllowed } from '@app/registry';

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
}
