import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BrokerModule } from '@app/broker';
import { ConfigError, ConfigModule, loadConfig } from '@app/config';
import { DbModule } from '@app/db';
import { openConfiguredDatabase } from '../../registry-api/src/registry-api';
import { IngestModule } from './ingest.module';

/** Ingest on its own, for deployments with PostgreSQL and an external broker (several instances share the load). */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openConfiguredDatabase(config);
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DbModule.forDatabase(database),
      BrokerModule.forRoot(),
      IngestModule,
    ],
  })
  class IngestAppModule {}
  const app = await NestFactory.createApplicationContext(IngestAppModule);
  app.enableShutdownHooks();
  new Logger('Ingest').log('ingest running');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
