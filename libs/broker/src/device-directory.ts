/**
 * The broker's side of device credentials. The registry tells it when a tracker's secret is issued or
 * rotated, and when its access is withdrawn (credentials revoked, tracker unbound, machine decommissioned),
 * so that the change takes effect at once, also for sessions already connected.
 *
 * The optional members are capabilities only some brokers have; callers use them where present
 * (`directory.close?.()`) and skip them otherwise.
 */
export interface DeviceDirectory {
  credentialsIssued(imei: string, secret: string): Promise<void>;
  accessWithdrawn(imei: string): Promise<void>;

  /**
   * A broker that keeps accounts of its own (Mosquitto's dynamic security) stores an agency's new or rotated
   * credential. Called inside the registry's transaction, so that a broker that refuses undoes the change.
   */
  agencyCredentialsIssued?(code: string, username: string, secret: string): Promise<void>;
  /** A broker that keeps accounts of its own deletes an agency's account, which also ends its sessions. */
  agencyAccessWithdrawn?(code: string, username: string): Promise<void>;
  /**
   * A broker that asks the registry on every connect (the embedded one) drops the sessions of an agency's
   * systems; called once the change is committed, so that they cannot sign in again with the old credential.
   */
  disconnectAgency?(code: string): void;

  /**
   * A broker that grants rights per account (Mosquitto) lets the apps' own account publish rejections on
   * devices' errors topics and alerts on agencies' topics; called before the apps publish there.
   */
  ensureServiceRole?(): Promise<void>;

  /** A directory that holds a connection to the broker closes it with the app. */
  close?(): Promise<void>;
}

export const DEVICE_DIRECTORY = Symbol('DEVICE_DIRECTORY');

export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}
