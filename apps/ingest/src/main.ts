import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { createServiceApp, requireDatabaseUrl } from '@app/platform';
import { IngestModule } from './ingest.module';
import { startIngest } from './ingest.runtime';

/** Ingest on its own, for deployments with PostgreSQL and an external broker (several instances share the load). */
async function main(): Promise<void> {
  const config = loadConfig();
  requireDatabaseUrl(config, 'Ingest (npm run start:ingest)');
  const app = await createServiceApp(config, [IngestModule]);
  await startIngest(app);
  new Logger('Ingest').log('ingest running');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
