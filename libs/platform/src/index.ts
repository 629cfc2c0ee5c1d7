export * from './http-app';
export * from './http-errors';
export * from './http-input';
export * from './pagination';
export * from './roles';
export * from './service-app';
export * from './redis';
