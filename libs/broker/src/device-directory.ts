/**
 * The broker's side of device credentials. The registry tells it when a tracker's secret is issued or
 * rotated, and when its access is withdrawn (credentials revoked, tracker unbound, machine decommissioned),
 * so that the change takes effect at once, also for sessions already connected.
 */
export interface DeviceDirectory {
  credentialsIssued(imei: string, secret: string): Promise<void>;
  accessWithdrawn(imei: string): Promise<void>;
}

export const DEVICE_DIRECTORY = Symbol('DEVICE_DIRECTORY');

export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}
