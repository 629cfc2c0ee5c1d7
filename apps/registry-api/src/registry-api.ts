import {
  DynamicModule,
  INestApplication,
  Logger,
  LoggerService,
  LogLevel,
  Module,
  Type,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import * as path from 'node:path';
import { json, text } from 'express';
import { AppConfig, ConfigError, ConfigModule } from '@app/config';
import { Database, DbModule, openDatabase } from '@app/db';
import { BrokerModule } from '@app/broker';
import { fieldErrors, HttpErrorFilter, validationFailed } from './common/http-errors';
import { RegistryModule } from './registry.module';

@Module({})
class RegistryApiModule {
  static forRoot(config: AppConfig, database: Database, extra: Array<Type | DynamicModule>): DynamicModule {
    return {
      module: RegistryApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule.forDatabase(database),
        BrokerModule.forRoot(),
        RegistryModule,
        ...extra,
      ],
    };
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The Nest log levels shown at a configured LOG_LEVEL (that level and every more severe one). */
export function logLevelsUpTo(level: AppConfig['logLevel']): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

export interface RegistryApiOptions {
  /** Where the app's logs go; by default the console, at LOG_LEVEL. */
  readonly logger?: LoggerService;
  /**
   * Whether SIGINT/SIGTERM close the app by themselves (default). The main job turns this off to stop its
   * demo first and exit with 0.
   */
  readonly shutdownOnSignals?: boolean;
}

@Module({})
class ServiceContextModule {
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
    logger: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1),
  });
}

/**
 * A process whose work arrives by a Nest transport, not HTTP (ingest on its own, so on PostgreSQL only):
 * configuration, storage, device access and the given modules, initialised, with nothing listening yet.
 */
export async function createServiceApp(config: AppConfig, modules: Array<Type | DynamicModule>) {
  requireDatabaseUrl(config, 'Ingest (npm run start:ingest)');
  const database = await openConfiguredDatabase(config);
  const app = await NestFactory.create(ServiceContextModule.forRoot(config, database, modules), {
    logger: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1),
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

/**
 * Builds the registry API (not yet listening): validation, error format, OpenAPI at /docs. `extra` mounts more
 * modules in the same process (the main job adds ingest and its embedded broker).
 */
export async function createRegistryApi(
  config: AppConfig,
  database?: Database,
  extra: Array<Type | DynamicModule> = [],
  options: RegistryApiOptions = {},
): Promise<INestApplication> {
  const db = database ?? (await openConfiguredDatabase(config));
  const app = await NestFactory.create<NestExpressApplication>(RegistryApiModule.forRoot(config, db, extra), {
    logger: options.logger ?? logLevelsUpTo(config.logLevel),
    bodyParser: false,
  });
  // Zone layers are large GeoJSON files; every other JSON body stays small. The first parser that
  // matches a request reads it, so the route-specific one goes first.
  app.use('/v1/zones/import', json({ limit: '100mb' }));
  app.use(json({ limit: '1mb' }));
  app.use(text({ type: 'text/csv', limit: '10mb' }));
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => validationFailed(fieldErrors(errors)),
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter());
  if (options.shutdownOnSignals !== false) app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Centinela — national registry of heavy machinery')
      .setDescription('Registry of heavy machines, their owners and GPS trackers (MTC/SUTRAN).')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

export async function listen(app: INestApplication, config: AppConfig): Promise<string> {
  await app.listen(config.httpPort, config.httpHost);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${address.port}`;
  new Logger('RegistryApi').log(`Registry API on ${url} (OpenAPI: ${url}/docs)`);
  return url;
}
