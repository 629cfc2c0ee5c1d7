export * from './broker.module';
export * from './device-directory';
export * from './device-message';
export * from './registry-access/device-access.service';
export * from './embedded/embedded-broker';
export * from './mosquitto/dynsec-directory';
export * from './mosquitto/dynsec-roles';
export * from './emqx/emqx-directory';
