import type { Feature, FeatureCollection } from 'geojson';
import { TestApi, startTestApi } from '../support/api';
import { PersistentTestDatabase, persistentTestDatabase, storageModes } from '../support/storage';
import { activateVersion, importLayer, secondAdminToken } from '../support/zones';

/** A square reserve near Puerto Maldonado and a river line crossing it, small enough to build in milliseconds. */
const reserve: Feature = {
  type: 'Feature',
  properties: { nombre: 'Reserva de Prueba', codigo: 'RP01', base: 'D.S. 001-2026-MINAM' },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [-69.5, -12.9],
        [-69.4, -12.9],
        [-69.4, -12.8],
        [-69.5, -12.8],
        [-69.5, -12.9],
      ],
    ],
  },
};
const river: Feature = {
  type: 'Feature',
  properties: { nombre: 'Río de Prueba', buffer_m: 200 },
  geometry: {
    type: 'LineString',
    coordinates: [
      [-69.6, -12.85],
      [-69.3, -12.85],
    ],
  },
};
const collection = (...features: Feature[]): FeatureCollection => ({ type: 'FeatureCollection', features });

const reserveMapping = {
  layer: 'test-reserves',
  kind: 'protected_area',
  authority: 'SERNANP',
  idPrefix: 'rp',
  idProperty: 'codigo',
  name: 'nombre',
  code: 'codigo',
  legalBasis: 'base',
};
const riverMapping = {
  layer: 'test-rivers',
  kind: 'water_body',
  authority: 'ANA',
  idPrefix: 'river',
  name: 'nombre',
  legalBasis: { value: 'Decreto Legislativo N° 1100' },
  bufferProperty: 'buffer_m',
  bufferMeters: 100,
};

describe.each(storageModes())('zone catalogue API (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode);
  });
  afterAll(() => api.close());

  const at = async (lat: number, lon: number) => {
    const response = await api.get(`/v1/zones/at?lat=${lat}&lon=${lon}`);
    expect(response.status).toBe(200);
    return response.body as {
      catalogueVersion: string;
      zones: Array<{ id: string; kind: string; name: string; legalBasis: string }>;
    };
  };

  it('imports layers into new versions and answers which zones contain a position', async () => {
    const first = await importLayer(api, { mapping: reserveMapping, geojson: collection(reserve) });
    expect(first.status).toBe('succeeded');
    expect(first.result).toMatchObject({
      zoneCount: 1,
      activated: true,
      unchanged: false,
      parentVersion: null,
    });
    const second = await importLayer(api, { mapping: riverMapping, geojson: collection(river) });
    expect(second.status).toBe('succeeded');
    expect(second.result).toMatchObject({ zoneCount: 2, parentVersion: first.result!.version });

    const inside = await at(-12.82, -69.45);
    expect(inside.catalogueVersion).toBe(second.result!.version);
    expect(inside.zones).toEqual([
      expect.objectContaining({
        kind: 'protected_area',
        name: 'Reserva de Prueba',
        legalBasis: 'D.S. 001-2026-MINAM',
      }),
    ]);
    const onRiver = await at(-12.8505, -69.55);
    expect(onRiver.zones.map((z) => z.kind)).toEqual(['water_body']);
    const both = await at(-12.85, -69.45);
    expect(both.zones.map((z) => z.kind).sort()).toEqual(['protected_area', 'water_body']);
    expect((await at(-12.7, -69.45)).zones).toEqual([]);
    // 200 m buffer: ~0.0018° of latitude; a point 300 m away is outside.
    expect((await at(-12.85 + 300 / 111_000, -69.55)).zones).toEqual([]);
  });

  it('replaces a layer on re-import and can switch back to an earlier version without a restart', async () => {
    const versions = (await api.get('/v1/zones/versions')).body as Array<{
      version: string;
      active: boolean;
    }>;
    const before = versions.find((v) => v.active)!.version;
    const moved: Feature = {
      ...reserve,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [-69.5, -12.7],
            [-69.4, -12.7],
            [-69.4, -12.6],
            [-69.5, -12.6],
            [-69.5, -12.7],
          ],
        ],
      },
    };
    const reimport = await importLayer(api, { mapping: reserveMapping, geojson: collection(moved) });
    expect(reimport.status).toBe('succeeded');
    expect(reimport.result!.zoneCount).toBe(2);
    expect((await at(-12.82, -69.45)).zones).toEqual([]);
    expect((await at(-12.65, -69.45)).zones.map((z) => z.name)).toEqual(['Reserva de Prueba']);

    const proposed = await api.post(`/v1/zones/versions/${before}/activate`, {
      reason: 'back to the earlier reserve',
    });
    expect(proposed.status).toBe(202);
    expect((await at(-12.65, -69.45)).zones.map((z) => z.name)).toEqual(['Reserva de Prueba']);
    const back = await api.post(
      `/v1/zones/versions/${before}/activate/confirm`,
      {},
      await secondAdminToken(api),
    );
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ version: before, active: true });
    expect((await at(-12.82, -69.45)).zones.map((z) => z.name)).toEqual(['Reserva de Prueba']);
    expect((await at(-12.82, -69.45)).catalogueVersion).toBe(before);
  });

  it('lists zones and serves one as a GeoJSON feature', async () => {
    const list = await api.get('/v1/zones?kind=water_body');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        name: 'Río de Prueba',
        layer: 'test-rivers',
        geometryType: 'LineString',
        bufferMeters: 200,
      }),
    ]);
    const id = list.body.items[0].id as string;
    const feature = await api.get(`/v1/zones/${id}`);
    expect(feature.body).toMatchObject({
      type: 'Feature',
      id,
      geometry: { type: 'LineString' },
      properties: { kind: 'water_body', authority: 'ANA' },
    });
    expect((await api.get('/v1/zones/no-such-zone')).status).toBe(404);
  });

  it('reports rejected features and refuses a layer where nothing could be imported', async () => {
    const broken: Feature = {
      type: 'Feature',
      properties: { nombre: 'Sin geometría' },
      geometry: null as unknown as Feature['geometry'],
    };
    const mixed = await importLayer(api, {
      mapping: {
        ...reserveMapping,
        layer: 'test-mixed',
        idPrefix: 'mx',
        idProperty: undefined,
        code: undefined,
      },
      geojson: collection({ ...reserve, properties: { ...reserve.properties, nombre: 'Otra' } }, broken),
      activate: false,
    });
    expect(mixed.status).toBe('succeeded');
    expect(mixed.result!.activated).toBe(false);
    expect(mixed.result!.activation).toBeNull();
    expect(mixed.result!.report.rejected).toEqual([expect.objectContaining({ feature: 1 })]);
    const nothing = await importLayer(api, {
      mapping: { ...reserveMapping, layer: 'test-empty' },
      geojson: collection(broken),
    });
    expect(nothing).toMatchObject({
      status: 'failed',
      error: 'no feature of the layer could be imported (1 rejected)',
    });
  });

  it('rejects malformed imports and positions with field messages', async () => {
    const response = await api.post('/v1/zones/import', {
      mapping: { ...reserveMapping, kind: 'lake', layer: 'Bad Name', name: 42 },
      geojson: { type: 'Feature' },
    });
    expect(response.status).toBe(400);
    expect((response.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'geojson',
      'mapping.kind',
      'mapping.layer',
      'mapping.name',
    ]);
    const position = await api.get('/v1/zones/at?lat=-95&lon=abc');
    expect(position.status).toBe(400);
    expect((position.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'lat',
      'lon',
    ]);
  });

  it('checks the names of a river layer against the river lines of the active catalogue, tracing each zone to its features', async () => {
    const piece = (from: number, to: number, lat: number) => [
      [from, lat],
      [to, lat],
    ];
    const regional = collection(
      {
        type: 'Feature',
        properties: { id: 'prueba', nombre: 'Río de Prueba' },
        geometry: {
          type: 'MultiLineString',
          coordinates: [piece(-69.6, -69.55, -12.851), piece(-69.35, -69.3, -12.851)],
        },
      },
      {
        type: 'Feature',
        properties: { id: 'equivocado', nombre: 'Río Equivocado' },
        geometry: { type: 'MultiLineString', coordinates: [piece(-69.5, -69.4, -12.852)] },
      },
    );
    const job = await importLayer(api, {
      mapping: {
        layer: 'test-regional-rivers',
        kind: 'water_body',
        authority: 'GOREMAD',
        idPrefix: 'regional-',
        idProperty: 'id',
        name: 'nombre',
        bufferMeters: 200,
        checkNames: { description: 'la capa regional de prueba' },
      },
      geojson: regional,
      activate: false,
    });
    expect(job.status).toBe('succeeded');
    const response = { body: job.result as unknown as { version: string; report: { names: unknown[] } } };
    expect(response.body.report.names).toEqual([
      expect.objectContaining({
        layer: 'test-regional-rivers',
        feature: 1,
        featureId: 'equivocado',
        pieces: [0],
        name: 'Río Equivocado',
        action: 'corrected',
        zoneId: 'regional-prueba',
        shownAs: 'Río de Prueba',
        secondSource: expect.objectContaining({ layer: 'test-rivers', name: 'Río de Prueba' }),
      }),
    ]);
    const zone = await api.get(`/v1/zones/regional-prueba?version=${response.body.version as string}`);
    expect(zone.body.properties.source).toEqual({
      layer: 'test-regional-rivers',
      nameAttribute: 'nombre',
      features: [
        { index: 0, id: 'prueba', name: 'Río de Prueba', nameCheck: 'confirmed' },
        { index: 1, id: 'equivocado', name: 'Río Equivocado', nameCheck: 'corrected' },
      ],
    });
    expect(
      (await api.get(`/v1/zones/regional-equivocado?version=${response.body.version as string}`)).status,
    ).toBe(404);
  });

  it('lets only administrators change the catalogue', async () => {
    await api.post('/v1/users', {
      username: 'clerkz',
      displayName: 'Clerk',
      password: 'a-long-enough-password',
      role: 'registry_clerk',
    });
    const clerk = await api.login('clerkz', 'a-long-enough-password');
    expect(
      (await api.post('/v1/zones/import', { mapping: reserveMapping, geojson: collection(reserve) }, clerk))
        .status,
    ).toBe(403);
    expect((await api.get('/v1/zones/at?lat=-12.82&lon=-69.45', clerk)).status).toBe(200);
  });
});

// Processes sharing a PostgreSQL server (an API replica, ingest instances) each hold an index of their own.
if (process.env['DATABASE_URL'])
  describe('zone catalogue across processes (postgres storage)', () => {
    let persistent: PersistentTestDatabase;
    let first: TestApi;
    let second: TestApi;

    beforeAll(async () => {
      persistent = await persistentTestDatabase('postgres');
      first = await startTestApi('postgres', {}, [], await persistent.open());
      second = await startTestApi('postgres', {}, [], await persistent.open());
    });
    afterAll(async () => {
      await second.close();
      await first.close();
      await persistent.dispose();
    });

    /** The version another process's index answers with, once it is `version` (it follows within seconds). */
    const followed = async (api: TestApi, version: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = (await api.get('/v1/zones/at?lat=-12.82&lon=-69.45')).body as {
          catalogueVersion: string;
          zones: Array<{ name: string }>;
        };
        if (answer.catalogueVersion === version || Date.now() > deadline) return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    it('switches every process to a version activated in one of them', async () => {
      const imported = await importLayer(first, { mapping: reserveMapping, geojson: collection(reserve) });
      expect(imported.status).toBe('succeeded');
      const reserveOnly = imported.result!.version;
      expect((await followed(second, reserveOnly)).zones.map((z) => z.name)).toEqual(['Reserva de Prueba']);

      const withRiver = await importLayer(first, { mapping: riverMapping, geojson: collection(river) });
      expect(withRiver.status).toBe('succeeded');
      expect((await followed(second, withRiver.result!.version)).catalogueVersion).toBe(
        withRiver.result!.version,
      );

      await activateVersion(first, reserveOnly);
      expect((await followed(second, reserveOnly)).catalogueVersion).toBe(reserveOnly);
    });
  });
