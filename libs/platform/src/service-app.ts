import { DynamicModule, LogLevel, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as path from 'node:path';
import { AppConfig, ConfigError, ConfigModule } from '@app/config';
import { Database, DbModule, openDatabase } from '@app/db';
import { BrokerModule } from '@app/broker';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The Nest log levels shown at a configured LOG_LEVEL (that level and every more severe one). */
export function logLevelsUpTo(level: AppConfig['logLevel']): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

/** Configuration, storage and device access, the modules every process of the product needs, plus its own. */
@Module({})
export class ServiceContextModule {
  static forRoot(config: AppConfig, database: Database, modules: Array<Type | DynamicModule>): DynamicModule {
    return {
      module: ServiceContextModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule.forDatabase(database),
        BrokerModule.forRoot(),
        ...modules,
      ],
    };
  }
}

/**
 * The apps started one by one share one database, which the embedded one cannot be: it lives inside one
 * process. Refuses to go on without DATABASE_URL, naming the command that runs the whole product instead.
 */
export function requireDatabaseUrl(config: AppConfig, app: string): void {
  if (config.storageMode === 'embedded')
    throw new ConfigError([
      `${app} on its own needs PostgreSQL: set DATABASE_URL (see docs/configuration.md). ` +
        'The embedded database lives inside one process: `npm start` runs the whole product on it.',
    ]);
}

/** A process without HTTP (ingest, CLI tools) with configuration, storage, device access and the given modules. */
export async function createServiceContext(config: AppConfig, modules: Array<Type | DynamicModule>) {
  const database = await openConfiguredDatabase(config);
  return NestFactory.createApplicationContext(ServiceContextModule.forRoot(config, database, modules), {
    logger: logLevelsUpTo(config.logLevel),
  });
}

/**
 * A process whose work arrives by a Nest transport, not HTTP: configuration, storage, device access and the given
 * modules, initialised, with nothing listening yet.
 */
export async function createServiceApp(config: AppConfig, modules: Array<Type | DynamicModule>) {
  const database = await openConfiguredDatabase(config);
  const app = await NestFactory.create(ServiceContextModule.forRoot(config, database, modules), {
    logger: logLevelsUpTo(config.logLevel),
  });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

export function openConfiguredDatabase(config: AppConfig): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    embeddedDataDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.databasePoolSize,
  });
}
