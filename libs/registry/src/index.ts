export * from './identifiers';
export * from './machines';
export * from './device-secret';
export * from './device-access';
export * from './declared-use';
export * from './need-to-know';
