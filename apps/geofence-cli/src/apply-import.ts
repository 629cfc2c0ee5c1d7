import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { userInfo } from 'node:os';
import type { FeatureCollection } from 'geojson';
import { BrokerModule } from '@app/broker';
import { ConfigModule, loadConfig } from '@app/config';
import { DbModule } from '@app/db';
import type { LayerMapping } from '@app/geofence';
import { openConfiguredDatabase } from '../../registry-api/src/registry-api';
import { ZoneCatalogueService } from '../../registry-api/src/zones/zone-catalogue.service';
import { ZonesModule } from '../../registry-api/src/zones/zones.module';

/**
 * Imports a layer into the catalogue of the configured database (DATABASE_URL, or the embedded database in
 * DATA_DIR while the main job is stopped), exactly as `POST /v1/zones/import` does. A running registry picks the
 * new active version up on its next start or through `POST /v1/zones/versions/{version}/activate`.
 */
export async function applyImport(mapping: LayerMapping, layer: FeatureCollection, activate: boolean) {
  const config = loadConfig({ ...process.env, ZONE_CATALOGUE_SEED: 'none', LOG_LEVEL: 'warn' });
  const database = await openConfiguredDatabase(config);
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DbModule.forDatabase(database),
      BrokerModule.forRoot(),
      ZonesModule,
    ],
  })
  class ImportModule {}
  const app = await NestFactory.createApplicationContext(ImportModule, { logger: ['error', 'warn'] });
  try {
    const catalogue = app.get(ZoneCatalogueService);
    await catalogue.ready();
    return await catalogue.importLayer(mapping, layer, activate, {
      id: null,
      username: `cli:${userInfo().username}`,
    });
  } finally {
    await app.close();
  }
}
