import { Logger } from '@nestjs/common';
import { BrokerUnavailableError, DeviceDirectory } from '../device-directory';

/**
 * EMQX asks the registry on every connect (HTTP authentication hook), so a new or revoked secret applies to the
 * next connection by itself; this disconnects the current session through EMQX's REST API so it applies at once.
 */
export class EmqxDirectory implements DeviceDirectory {
  private readonly logger = new Logger('EmqxDirectory');

  constructor(
    private readonly apiUrl: string | undefined,
    private readonly apiKey: string | undefined,
    private readonly apiSecret: string | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  credentialsIssued(imei: string): Promise<void> {
    return this.kick(imei);
  }

  accessWithdrawn(imei: string): Promise<void> {
    return this.kick(imei);
  }

  private async kick(clientId: string): Promise<void> {
    if (!this.apiUrl) {
      this.logger.warn(`EMQX_API_URL unset: ${clientId} keeps its current session until it reconnects`);
      return;
    }
    const auth = Buffer.from(`${this.apiKey ?? ''}:${this.apiSecret ?? ''}`).toString('base64');
    let response: Response;
    try {
      response = await this.fetchImpl(
        `${this.apiUrl.replace(/\/$/, '')}/clients/${encodeURIComponent(clientId)}`,
        {
          method: 'DELETE',
          headers: { authorization: `Basic ${auth}` },
        },
      );
    } catch (error) {
      throw new BrokerUnavailableError(
        `cannot reach EMQX: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // 204: disconnected; 404: it was not connected.
    if (response.status !== 204 && response.status !== 404) {
      throw new BrokerUnavailableError(`EMQX answered ${response.status} when disconnecting ${clientId}`);
    }
  }
}
