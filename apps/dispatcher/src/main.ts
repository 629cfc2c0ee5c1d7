import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { createServiceContext, requireDatabaseUrl } from '@app/platform';
import { DispatcherModule } from './dispatcher.module';
import { DispatchWorker } from './dispatch.worker';

/** The dispatcher on its own, for deployments with PostgreSQL (several instances share the outbox). */
async function main(): Promise<void> {
  const config = loadConfig();
  requireDatabaseUrl(config, 'The dispatcher (npm run start:dispatcher)');
  const app = await createServiceContext(config, [DispatcherModule]);
  app.enableShutdownHooks();
  await app.init();
  new Logger('Dispatcher').log(`dispatcher ${app.get(DispatchWorker).instanceId} running`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
