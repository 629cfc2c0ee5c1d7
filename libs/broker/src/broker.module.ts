import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DeviceAccessService } from './device-access.service';
import { DEVICE_DIRECTORY } from './device-directory';
import { EmbeddedBroker } from './embedded-broker';
import { EmqxDirectory } from './emqx-directory';
import { MosquittoDynsecDirectory } from './mosquitto-dynsec';

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
        {
          provide: DEVICE_DIRECTORY,
          inject: [APP_CONFIG, EmbeddedBroker],
          useFactory: (config: AppConfig, embedded: EmbeddedBroker) => {
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
