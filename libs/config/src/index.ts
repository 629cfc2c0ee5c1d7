export * from './config';
export * from './config.module';
export { ConfigError, MIN_PASSWORD_LENGTH } from './definitions';
export type { KeyDefinition } from './definitions';
