export * from './backoff';
export * from './cloud-event';
export * from './evidence-chain';
export * from './evidence-export';
export * from './routing';
export * from './webhook-signature';
export * from './area';
export * from './agency-topic';
