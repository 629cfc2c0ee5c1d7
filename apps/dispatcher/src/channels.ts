import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { LookupFunction, isIP } from 'node:net';
import mqtt, { MqttClient } from 'mqtt';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DEVICE_DIRECTORY, DeviceDirectory, EmbeddedBroker } from '@app/broker';
import {
  HostResolver,
  WEBHOOK_RESOLVER,
  WebhookTargetPolicy,
  agencyAlertTopic,
  checkResolvedAddresses,
  deliveryErrorCategory,
  isAllowedHost,
  parseAllowedHosts,
  signWebhook,
  systemResolver,
  webhookUrlProblems,
} from '@app/dispatch';

export interface AttemptResult {
  readonly ok: boolean;
  readonly status: number | null;
  /** What went wrong, as recorded and shown: a category (`connection refused`, `HTTP 503`), never an address. */
  readonly error: string | null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** A `lookup` for the connection that answers with the address already checked, so a second resolution (DNS
 * rebinding) cannot send the request elsewhere. */
export function pinnedLookup(pinned: { address: string; family: number }): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}

/**
 * POSTs a CloudEvent to an agency webhook, signed per Standard Webhooks; any 2xx answer is a delivery. Unless
 * its host is on WEBHOOK_ALLOWED_HOSTS, a webhook must be https to a public address: the name is resolved here,
 * every address it has is checked, and the connection goes to the checked address. Failures are recorded as a
 * category; the detail (addresses, ports) only goes to the dispatcher's own log.
 */
@Injectable()
export class WebhookSender {
  private readonly logger = new Logger('Webhooks');
  private readonly policy: WebhookTargetPolicy;
  private readonly resolve: HostResolver;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(WEBHOOK_RESOLVER) resolver?: HostResolver,
  ) {
    this.policy = { allowedHosts: parseAllowedHosts(config.webhookAllowedHosts) };
    this.resolve = resolver ?? systemResolver;
  }

  async send(
    url: string,
    secret: string,
    eventId: string,
    body: string,
    abort: AbortSignal,
  ): Promise<AttemptResult> {
    const target = await this.target(url);
    if ('error' in target) return { ok: false, status: null, error: target.error };
    try {
      const status = await this.post(
        target.url,
        {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'user-agent': 'Centinela-Dispatcher/1',
          ...signWebhook(secret, eventId, new Date(), body),
        },
        body,
        AbortSignal.any([abort, AbortSignal.timeout(this.config.dispatchWebhookTimeoutMs)]),
        target.pinned,
      );
      if (status >= 200 && status < 300) return { ok: true, status, error: null };
      return { ok: false, status, error: `HTTP ${status}` };
    } catch (error) {
      const category = deliveryErrorCategory(error);
      this.logger.debug(`webhook ${target.url.host}: ${category} (${describe(error)})`);
      return { ok: false, status: null, error: category };
    }
  }

  /** Where to connect: the URL, and unless its host is allowed, the checked public address to pin. */
  private async target(
    url: string,
  ): Promise<{ url: URL; pinned?: { address: string; family: number } } | { error: string }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { error: 'address not allowed' };
    }
    if (isAllowedHost(this.policy, parsed)) return { url: parsed };
    const refuse = (problem: string) => {
      this.logger.warn(`webhook to ${parsed.host} refused: ${problem}`);
      return { error: 'address not allowed' };
    };
    const problems = webhookUrlProblems(url, this.policy);
    if (problems.length > 0) return refuse(problems.join('; '));
    const host = bare(parsed.hostname);
    if (isIP(host)) return { url: parsed, pinned: { address: host, family: isIP(host) } };
    let addresses: readonly { address: string; family: number }[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      return { error: deliveryErrorCategory(error) };
    }
    const problem = checkResolvedAddresses(
      host,
      addresses.map((a) => a.address),
    );
    if (problem) return refuse(problem);
    return { url: parsed, pinned: addresses[0]! };
  }

  private post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    pinned: { address: string; family: number } | undefined,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          signal,
          // A connection of its own: a pooled one could have been opened to another address.
          agent: false,
          ...(pinned ? { lookup: pinnedLookup(pinned) } : {}),
        },
        (response) => {
          // The status is the answer; the body is not read (a receiver streaming one forever holds nothing).
          response.on('error', () => undefined);
          resolve(response.statusCode ?? 0);
          response.destroy();
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}

/**
 * Publishes alerts on `agencies/{code}/alerts` at QoS 1: through the embedded broker in embedded mode, else with
 * the apps' service account on the external broker (the publish resolves once the broker acknowledged it).
 */
@Injectable()
export class AgencyAlertPublisher implements OnModuleDestroy {
  private readonly logger = new Logger('AgencyAlerts');
  private client: Promise<MqttClient> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly embedded: EmbeddedBroker,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {}

  async publish(code: string, body: string): Promise<AttemptResult> {
    try {
      if (!this.config.mqttUrl) {
        await this.embedded.publishToDevice(agencyAlertTopic(code), Buffer.from(body, 'utf8'));
      } else {
        const client = await this.connect();
        await client.publishAsync(agencyAlertTopic(code), body, { qos: 1 });
      }
      return { ok: true, status: null, error: null };
    } catch (error) {
      // Start afresh with the next publish; the broken connection is closed.
      const broken = this.client;
      this.client = undefined;
      void broken?.then((client) => client.endAsync(true)).catch(() => undefined);
      this.logger.debug(`publish to ${code} failed: ${describe(error)}`);
      return { ok: false, status: null, error: `broker: ${deliveryErrorCategory(error)}` };
    }
  }

  private connect(): Promise<MqttClient> {
    this.client ??= this.ensurePublishRight()
      .then(() =>
        mqtt.connectAsync(this.config.mqttUrl!, {
          username: this.config.mqttUsername,
          password: this.config.mqttPassword,
          clientId: `centinela-dispatcher-${randomUUID().slice(0, 8)}`,
          connectTimeout: 5000,
          reconnectPeriod: 1000,
        }),
      )
      .catch((error: unknown) => {
        this.client = undefined;
        this.logger.warn(`cannot reach the broker: ${describe(error)}`);
        throw error;
      });
    return this.client;
  }

  /**
   * Where the broker grants rights per account (Mosquitto), the service account's role must allow publishing
   * on `agencies/+/alerts`.
   */
  private async ensurePublishRight(): Promise<void> {
    await this.directory.ensureServiceRole?.();
  }

  async onModuleDestroy(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    await client?.endAsync(true);
  }
}
