import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DEVICE_DIRECTORY, DeviceDirectory, EmbeddedBroker, MosquittoDynsecDirectory } from '@app/broker';
import { Store } from '@app/db';
import { DeviceMessageProcessor } from './device-message.processor';
import { ExternalBrokerConsumer } from './external-broker.consumer';

const PARTITION_MONTHS_AHEAD = 2;
const DAY_MS = 24 * 3600 * 1000;

/** Starts ingest: the embedded broker (no MQTT_URL) or a consumer of the external broker, and partition upkeep. */
@Injectable()
export class IngestRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Ingest');
  private consumer: ExternalBrokerConsumer | undefined;
  private upkeep: NodeJS.Timeout | undefined;
  brokerUrl: string | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: Store,
    private readonly processor: DeviceMessageProcessor,
    private readonly embedded: EmbeddedBroker,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.maintainPartitions();
    this.upkeep = setInterval(() => void this.maintainPartitions(), DAY_MS);
    this.upkeep.unref();
    if (!this.config.mqttUrl) {
      this.processor.usePublisher(this.embedded);
      this.embedded.setMessageHandler(this.processor.handle);
      this.brokerUrl = await this.embedded.listen(this.config.embeddedMqttHost, this.config.embeddedMqttPort);
      this.logger.log(`embedded MQTT broker (MQTT 3.1.1) on ${this.brokerUrl}`);
      return;
    }
    if (this.directory instanceof MosquittoDynsecDirectory) await this.directory.ensureServiceRole();
    this.consumer = new ExternalBrokerConsumer(
      this.config.mqttUrl,
      { username: this.config.mqttUsername, password: this.config.mqttPassword },
      this.processor.handle,
    );
    this.processor.usePublisher(this.consumer);
    await this.consumer.start();
    this.brokerUrl = this.config.mqttUrl;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.upkeep) clearInterval(this.upkeep);
    await this.consumer?.stop();
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
