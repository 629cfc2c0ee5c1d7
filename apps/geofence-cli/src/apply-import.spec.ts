import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FeatureCollection } from 'geojson';
import { openDatabase } from '@app/db';
import type { LayerMapping } from '@app/geofence';
import { applyImport } from './apply-import';

const lagoon: FeatureCollection = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { nombre: 'Cocha Valencia' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [-69.5, -12.9],
            [-69.4, -12.9],
            [-69.4, -12.8],
            [-69.5, -12.9],
          ],
        ],
      },
    },
  ],
};
const mapping: LayerMapping = {
  layer: 'ana-lagoons',
  kind: 'water_body',
  authority: 'ANA',
  idPrefix: 'ana-cocha',
  name: 'nombre',
  legalBasis: { value: 'Decreto Legislativo N° 1100' },
};

describe(applyImport.name, () => {
  it('stores the layer as a new active catalogue version in the embedded database, with an audit entry', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-cli-'));
    const env = { DATA_DIR: dataDir, GEOFENCE_CACHE_DIR: path.join(dataDir, 'cache') };
    const first = await applyImport(mapping, lagoon, true, env);
    expect(first).toMatchObject({ zoneCount: 1, activated: true, unchanged: false, parentVersion: null });
    const again = await applyImport(mapping, lagoon, true, env);
    expect(again).toMatchObject({ version: first.version, unchanged: true });

    const database = await openDatabase({ embeddedDataDir: path.join(dataDir, 'pglite') });
    try {
      expect(
        await database.db.selectFrom('zone_catalogue_active').select('version').executeTakeFirst(),
      ).toEqual({ version: first.version });
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['action', 'actor_username'])
        .where('entity_type', '=', 'zone_catalogue')
        .execute();
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({
        action: 'zone_catalogue.layer_imported',
        actor_username: `cli:${os.userInfo().username}`,
      });
    } finally {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
