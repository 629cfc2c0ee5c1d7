export * from './consumer-connection';
