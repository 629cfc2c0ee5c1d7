import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { createServiceContext } from '../../registry-api/src/registry-api';
import { IngestModule } from './ingest.module';

/** Ingest on its own, for deployments with PostgreSQL and an external broker (several instances share the load). */
async function main(): Promise<void> {
  const app = await createServiceContext(loadConfig(), [IngestModule]);
  app.enableShutdownHooks();
  new Logger('Ingest').log('ingest running');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
