import { DynamicModule, INestApplication, Logger, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@app/config';
import type { Database } from '@app/db';
import {
  logLevelsUpTo,
  openConfiguredDatabase,
  ServiceContextModule,
  useHttpConventions,
} from '@app/platform';
import { REGISTRY_UNIQUE_FIELDS } from './common/unique-fields';
import { RegistryModule } from './registry.module';

export interface RegistryApiOptions {
  /** Where the app's logs go; by default the console, at LOG_LEVEL. */
  readonly logger?: LoggerService;
  /**
   * Whether SIGINT/SIGTERM close the app by themselves (default). The main job turns this off to stop its
   * demo first and exit with 0.
   */
  readonly shutdownOnSignals?: boolean;
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
  const app = await NestFactory.create<NestExpressApplication>(
    ServiceContextModule.forRoot(config, db, [RegistryModule, ...extra]),
    {
      logger: options.logger ?? logLevelsUpTo(config.logLevel),
      bodyParser: false,
    },
  );
  if (options.shutdownOnSignals !== false) app.enableShutdownHooks();
  // The client's address (sign-in limits per address) from X-Forwarded-For only behind trusted proxies.
  app.set('trust proxy', config.httpTrustProxyHops);
  useHttpConventions(app, {
    // Zone layers are large GeoJSON files; every other JSON body stays small.
    largeJsonRoutes: ['/v1/zones/import'],
    uniqueFields: REGISTRY_UNIQUE_FIELDS,
    openApi: {
      title: 'Centinela — national registry of heavy machinery',
      description: 'Registry of heavy machines, their owners and GPS trackers (MTC/SUTRAN).',
    },
  });
  return app;
}

export async function listen(app: INestApplication, config: AppConfig): Promise<string> {
  await app.listen(config.httpPort, config.httpHost);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${address.port}`;
  new Logger('RegistryApi').log(`Registry API on ${url} (OpenAPI: ${url}/docs)`);
  return url;
}
