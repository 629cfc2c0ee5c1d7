export * from './zone-catalogue.errors';
export * from './zone-catalogue.module';
export * from './zone-catalogue.service';
export * from './zone-import-jobs.service';
