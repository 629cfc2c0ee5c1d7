export * from './config';
export * from './config.module';
export { ConfigError } from './definitions';
export type { KeyDefinition } from './definitions';
