import {
  INestApplication,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DEVICE_DIRECTORY, DeviceDirectory, EmbeddedBroker } from '@app/broker';
import { Store } from '@app/db';
import { ZoneCatalogueService } from '@app/zones';
import { IngestIntake } from './ingest.intake';
import { DeviceTransport } from './transport/device-transport';
import { EmbeddedBrokerTransport } from './transport/embedded-broker.transport';
import { SharedSubscriptionTransport } from './transport/shared-subscription.transport';

const PARTITION_MONTHS_AHEAD = 2;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Ingest's runtime: the transport devices' messages arrive by (the embedded broker without MQTT_URL, else a
 * shared-subscription consumer of the external broker) and the upkeep of the positions' partitions.
 */
@Injectable()
export class IngestRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private upkeep: NodeJS.Timeout | undefined;
  readonly transport: DeviceTransport;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: Store,
    intake: IngestIntake,
    embedded: EmbeddedBroker,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {
    this.transport = config.mqttUrl
      ? new SharedSubscriptionTransport({
          url: config.mqttUrl,
          username: config.mqttUsername,
          password: config.mqttPassword,
          instanceId: config.ingestInstanceId,
          connections: config.ingestMqttConnections,
          inflightPerConnection: config.ingestMqttInflight,
          sessions: {
            registry: store.repos.ingestSessions,
            leaseSeconds: config.ingestSessionLeaseSeconds,
            drain: config.ingestSessionDrain === 'on',
            quietMs: config.ingestDrainQuietMs,
          },
        })
      : new EmbeddedBrokerTransport(embedded, config.embeddedMqttHost, config.embeddedMqttPort);
    intake.usePublisher(this.transport);
  }

  get brokerUrl(): string | undefined {
    return this.transport.brokerUrl;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.maintainPartitions();
    this.upkeep = setInterval(() => void this.maintainPartitions(), DAY_MS);
    this.upkeep.unref();
    if (this.config.mqttUrl) await this.directory.ensureServiceRole?.();
  }

  onModuleDestroy(): void {
    if (this.upkeep) clearInterval(this.upkeep);
  }

  private async maintainPartitions(): Promise<void> {
    try {
      const created = await this.store.transaction((repos) =>
        repos.positions.ensureMonthlyPartitions(new Date(), PARTITION_MONTHS_AHEAD),
      );
      if (created.length > 0) this.logger.log(`created partitions ${created.join(', ')}`);
    } catch (error) {
      this.logger.error(`partition upkeep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * Connects ingest's transport to an initialised application and starts taking device messages: the handlers are
 * Nest message handlers (`DeviceTelemetryController`), the transport a custom strategy. Messages are taken only
 * once the active catalogue's geofence index is in use (so that no fix is stored without being evaluated) and the
 * intake is ready (live state store connected, worker threads started); until then they wait in the broker,
 * unacknowledged.
 */
export async function startIngest(app: INestApplication): Promise<void> {
  await app.get(ZoneCatalogueService).ready();
  await app.get(IngestIntake).ready();
  app.connectMicroservice({ strategy: app.get(IngestRuntime).transport });
  await app.startAllMicroservices();
}
