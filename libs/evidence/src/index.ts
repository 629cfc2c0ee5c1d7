export * from './evidence.module';
export * from './evidence.service';
export * from './violation-view';
