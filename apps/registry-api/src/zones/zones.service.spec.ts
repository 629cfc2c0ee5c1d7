import { HttpException } from '@nestjs/common';
import type { Store } from '@app/db';
import type { LayerMapping } from '@app/geofence';
import { CatalogueVersionNotFoundError, UnimportableLayerError, ZoneCatalogueService } from '@app/zones';
import type { FeatureCollection } from 'geojson';
import { ZonesService } from './zones.service';

const actor = { id: null, username: 'test' };
const layer: FeatureCollection = { type: 'FeatureCollection', features: [] };

function zonesFailingWith(error: Error): ZonesService {
  const catalogue = {
    importLayer: () => Promise.reject(error),
    activateVersion: () => Promise.reject(error),
  } as unknown as ZoneCatalogueService;
  return new ZonesService({} as Store, catalogue);
}

async function httpErrorOf(attempt: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const error: unknown = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof HttpException)) throw new Error(`expected an HTTP error, got ${String(error)}`);
  return { status: error.getStatus(), body: error.getResponse() };
}

describe('ZonesService: the catalogue errors as HTTP errors', () => {
  it('answers a layer that cannot be imported with 422 on the geojson field', async () => {
    const zones = zonesFailingWith(
      new UnimportableLayerError('no feature of the layer could be imported (1 rejected)'),
    );
    expect(await httpErrorOf(zones.importLayer({} as LayerMapping, layer, true, actor))).toEqual({
      status: 422,
      body: {
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'no feature of the layer could be imported (1 rejected)',
        errors: [{ field: 'geojson', messages: ['no feature of the layer could be imported (1 rejected)'] }],
      },
    });
  });

  it('answers an unknown catalogue version with 404', async () => {
    const zones = zonesFailingWith(new CatalogueVersionNotFoundError('abcdef12'));
    expect(await httpErrorOf(zones.activateVersion('abcdef12', actor))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'catalogue version abcdef12 does not exist' },
    });
  });

  it('lets any other error through unchanged', async () => {
    const failure = new Error('connection lost');
    await expect(zonesFailingWith(failure).activateVersion('abcdef12', actor)).rejects.toBe(failure);
  });
});
