import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceAccessService } from './registry-access/device-access.service';
import { DEVICE_DIRECTORY, DeviceDirectory } from './device-directory';
import { EmbeddedBroker } from './embedded/embedded-broker';
import { EmqxDirectory } from './emqx/emqx-directory';
import { MosquittoDynsecDirectory } from './mosquitto/dynsec-directory';

/** Closes the directory's broker connection with the app (a factory-made provider gets no hooks of its own). */
@Injectable()
class DirectoryShutdown implements OnApplicationShutdown {
  constructor(@Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory) {}

  async onApplicationShutdown(): Promise<void> {
    await this.directory.close?.();
  }
}

/**
 * Device access for whichever broker the deployment uses: the embedded one (no MQTT_URL), Mosquitto with its
 * dynamic-security plugin, or EMQX with the registry's HTTP hooks.
 */
@Global()
@Module({})
export class BrokerModule {
  static forRoot(): DynamicModule {
    return {
      module: BrokerModule,
      providers: [
        DeviceAccessService,
        EmbeddedBroker,
        DirectoryShutdown,
        {
          provide: DEVICE_DIRECTORY,
          inject: [APP_CONFIG, EmbeddedBroker],
          useFactory: (config: AppConfig, embedded: EmbeddedBroker): DeviceDirectory => {
            if (!config.mqttUrl) return embedded;
            if (config.brokerKind === 'emqx')
              return new EmqxDirectory(config.emqxApiUrl, config.emqxApiKey, config.emqxApiSecret);
            return new MosquittoDynsecDirectory(
              config.mqttUrl,
              config.mqttUsername ?? '',
              config.mqttPassword ?? '',
            );
          },
        },
      ],
      exports: [DeviceAccessService, EmbeddedBroker, DEVICE_DIRECTORY],
    };
  }
}
