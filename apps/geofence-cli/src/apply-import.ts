import 'reflect-metadata';
import { userInfo } from 'node:os';
import type { FeatureCollection } from 'geojson';
import { loadConfig } from '@app/config';
import type { LayerMapping } from '@app/geofence';
import { createServiceContext } from '@app/platform';
import { ZoneCatalogueModule, ZoneCatalogueService } from '@app/zones';

/**
 * Imports a layer into the catalogue of the configured database (DATABASE_URL, or the embedded database in
 * DATA_DIR while the main job is stopped) with the checks and repair of `POST /v1/zones/import`, and activates it
 * at once unless told not to: an operator with the database's credentials is outside the API's two-person rule.
 * A running registry picks the new active version up on its next start or through the activation notification.
 */
export async function applyImport(
  mapping: LayerMapping,
  layer: FeatureCollection,
  activate: boolean,
  env: NodeJS.ProcessEnv = process.env,
) {
  const config = loadConfig({ ...env, ZONE_CATALOGUE_SEED: 'none', LOG_LEVEL: 'warn' });
  const app = await createServiceContext(config, [ZoneCatalogueModule]);
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
