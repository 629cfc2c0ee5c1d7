import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import mqtt, { MqttClient } from 'mqtt';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DEVICE_DIRECTORY, DeviceDirectory, EmbeddedBroker } from '@app/broker';
import { agencyAlertTopic, signWebhook } from '@app/dispatch';

export interface AttemptResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

/** POSTs a CloudEvent to an agency webhook, signed per Standard Webhooks; any 2xx answer is a delivery. */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(
    url: string,
    secret: string,
    eventId: string,
    body: string,
    abort: AbortSignal,
  ): Promise<AttemptResult> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'user-agent': 'Centinela-Dispatcher/1',
          ...signWebhook(secret, eventId, new Date(), body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([abort, AbortSignal.timeout(this.config.dispatchWebhookTimeoutMs)]),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300)
        return { ok: true, status: response.status, error: null };
      return { ok: false, status: response.status, error: `receiver answered ${response.status}` };
    } catch (error) {
      return { ok: false, status: null, error: describe(error) };
    }
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
      return { ok: false, status: null, error: describe(error) };
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
