import { HttpException } from '@nestjs/common';
import type { Store } from '@app/db';
import type { AppConfig } from '@app/config';
import {
  CatalogueVersionNotFoundError,
  ImportQueueFullError,
  ProposalConflictError,
  SecondPersonRequiredError,
  ZoneCatalogueService,
  ZoneImportJobsService,
} from '@app/zones';
import { ZonesService } from './zones.service';

const actor = { id: null, username: 'test' };

function zonesFailingWith(error: Error): ZonesService {
  const catalogue = {
    activateVersion: () => Promise.reject(error),
    proposeActivation: () => Promise.reject(error),
    confirmActivation: () => Promise.reject(error),
  } as unknown as ZoneCatalogueService;
  return new ZonesService({} as Store, catalogue, {} as ZoneImportJobsService, {} as AppConfig);
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
  it('answers a confirmation by the proposer with 403', async () => {
    const zones = zonesFailingWith(new SecondPersonRequiredError('another administrator must confirm it'));
    expect(await httpErrorOf(zones.confirmActivation('abcdef12', actor))).toEqual({
      status: 403,
      body: { statusCode: 403, error: 'Forbidden', message: 'another administrator must confirm it' },
    });
  });

  it('answers a second proposal of the same version with 409 on version', async () => {
    const zones = zonesFailingWith(new ProposalConflictError('already proposed', 'version'));
    expect(await httpErrorOf(zones.proposeActivation('abcdef12', actor, 'why'))).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        error: 'Conflict',
        message: 'already proposed',
        errors: [{ field: 'version', messages: ['already proposed'] }],
      },
    });
  });

  it('answers an unknown catalogue version with 404', async () => {
    const zones = zonesFailingWith(new CatalogueVersionNotFoundError('abcdef12'));
    expect(await httpErrorOf(zones.confirmActivation('abcdef12', actor))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'catalogue version abcdef12 does not exist' },
    });
  });

  it('answers a full import queue with 429', async () => {
    const jobs = {
      submit: () => Promise.reject(new ImportQueueFullError(4)),
    } as unknown as ZoneImportJobsService;
    const zones = new ZonesService({} as Store, {} as ZoneCatalogueService, jobs, {
      zoneImportMaxFeatures: 10,
      zoneImportMaxVertices: 100,
      zoneImportMaxFeatureVertices: 100,
    } as AppConfig);
    const layer = { type: 'FeatureCollection' as const, features: [] };
    expect(await httpErrorOf(zones.submitImport({} as never, layer, true, actor))).toEqual({
      status: 429,
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message: '4 zone imports are already waiting or running here; start this one when they have finished',
      },
    });
  });

  it('lets any other error through unchanged', async () => {
    const failure = new Error('connection lost');
    await expect(zonesFailingWith(failure).proposeActivation('abcdef12', actor, 'why')).rejects.toBe(failure);
  });
});
