export * from './broker.module';
export * from './device-access.service';
export * from './device-directory';
export * from './device-message';
export * from './embedded-broker';
export * from './emqx-directory';
export * from './mosquitto-dynsec';
