import type { Zone } from '@app/geofence';
import { zoneHit } from '@app/rules';
import { TOWNS, ZONES } from '../../simulator/src/places';
import { TestApi, startTestApi } from '../support/api';
import { fixturePlaces } from '../support/places';
import { storageModes } from '../support/storage';

async function waitForIndex(api: TestApi): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    const response = await api.get('/v1/zones/at?lat=-12.6&lon=-69.2');
    if (response.status === 200) return;
    expect(response.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the geofence index did not become ready');
}

describe.each(storageModes())('default Peru zone catalogue (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode, { ZONE_CATALOGUE_SEED: 'default' });
    await waitForIndex(api);
  }, 180_000);
  afterAll(() => api.close());

  const zonesAt = async (lat: number, lon: number) =>
    (await api.get(`/v1/zones/at?lat=${lat}&lon=${lon}`)).body.zones as Array<{
      id: string;
      kind: string;
      name: string;
    }>;

  it('seeds the shipped layers as the first active version, with its import report', async () => {
    const versions = await api.get('/v1/zones/versions');
    expect(versions.body).toHaveLength(1);
    expect(versions.body[0]).toMatchObject({ active: true, parentVersion: null });
    expect(versions.body[0].zoneCount).toBeGreaterThan(700);
    const report = await api.get(`/v1/zones/versions/${versions.body[0].version}`);
    const rejected = report.body.report.rejected as Array<{ layer: string; reason: string }>;
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((r) => r.reason.length > 0)).toBe(true);
    for (const kind of [
      'protected_area',
      'buffer_zone',
      'water_body',
      'mining_corridor',
      'indigenous_land',
      'jurisdiction',
    ]) {
      const page = await api.get(`/v1/zones?kind=${kind}&pageSize=1`);
      expect(page.body.total).toBeGreaterThan(0);
    }
  });

  it('places Puerto Maldonado in Madre de Dios and the corridor, and every zone it names is in the catalogue', async () => {
    const zones = await zonesAt(-12.5933, -69.1891);
    expect(zones.filter((z) => z.kind === 'jurisdiction').map((z) => z.name)).toEqual(['MADRE DE DIOS']);
    for (const zone of zones)
      expect((await api.get(`/v1/zones/${encodeURIComponent(zone.id)}`)).status).toBe(200);
  });

  /** The water bodies at a position as the API answers, and the zone name a violation there would carry. */
  const waterAt = async (lat: number, lon: number) => {
    const water = (await zonesAt(lat, lon)).filter((z) => z.kind === 'water_body');
    return Promise.all(
      water.map(async (z) => {
        const feature = await api.get(`/v1/zones/${encodeURIComponent(z.id)}`);
        expect(feature.status).toBe(200);
        const zone = { ...feature.body.properties, geometry: feature.body.geometry } as Zone & {
          layer: string;
        };
        return {
          id: z.id,
          name: z.name,
          alertName: zoneHit(zone).name,
          layer: zone.layer,
          source: zone.source,
        };
      }),
    );
  };

  it("the demo dredge near Boca Colorado is on the Madre de Dios, in the API's answer and in a violation's zone name", async () => {
    const { bank, onRiver } = fixturePlaces().riverside(ZONES.madreDeDios, TOWNS.bocaColorado, 1200, 3);
    let onMadre = 0;
    for (const point of [bank, ...onRiver]) {
      for (const water of await waterAt(point.lat, point.lon)) {
        expect(water.alertName).toBe(water.name);
        expect(water.name).not.toBe('Río Manu');
        expect(water.name).toMatch(
          /^(Río Madre de Dios|cuerpo de agua de la capa regional de ríos, cerca del Río Madre de Dios)$/,
        );
        if (water.id === ZONES.madreDeDios) onMadre++;
      }
    }
    expect(onMadre).toBe(onRiver.length);
  });

  it('a machine near Laberinto is never reported inside the Inambari', async () => {
    const { bank, onRiver } = fixturePlaces().riverside(ZONES.madreDeDios, TOWNS.laberinto, 700, 2);
    for (const point of [bank, ...onRiver]) {
      for (const water of await waterAt(point.lat, point.lon)) {
        expect(water.alertName).not.toBe('Río Inambari');
        expect(water.name).not.toBe('Río Inambari');
      }
    }
  });

  it('traces a zone to its layer and features, and reports the names the import corrected or could not verify', async () => {
    const madre = await api.get(`/v1/zones/${ZONES.madreDeDios}`);
    expect(madre.body.properties).toMatchObject({ name: 'Río Madre de Dios', layer: 'rivers-madre-de-dios' });
    const source = madre.body.properties.source as {
      layer: string;
      nameAttribute: string;
      features: Array<Record<string, unknown>>;
    };
    expect(source).toMatchObject({ layer: 'rivers-madre-de-dios', nameAttribute: 'nombre' });
    expect(source.features).toContainEqual(
      expect.objectContaining({ index: 0, id: 'madre', name: 'Río Madre de Dios', nameCheck: 'confirmed' }),
    );
    expect(source.features).toContainEqual(
      expect.objectContaining({ index: 4, id: 'manu', name: 'Río Manu', nameCheck: 'corrected' }),
    );

    const unverified = await api.get('/v1/zones/goremad-rio-manu-unverified-madre-de-dios');
    expect(unverified.body.properties).toMatchObject({
      name: 'cuerpo de agua de la capa regional de ríos, cerca del Río Madre de Dios',
      properties: { publishedName: 'Río Manu', nameCheck: 'unverified' },
    });

    const versions = await api.get('/v1/zones/versions');
    const report = await api.get(`/v1/zones/versions/${versions.body[0].version}`);
    const names = report.body.report.names as Array<{
      name: string;
      action: string;
      zoneId: string;
      evidence: string;
    }>;
    expect(names).toContainEqual(
      expect.objectContaining({ name: 'Río Inambari', action: 'corrected', zoneId: ZONES.madreDeDios }),
    );
    expect(names.every((n) => n.evidence.includes('"Madre de Dios" (rivers-natural-earth-10m)'))).toBe(true);
  });

  it('places a point in the middle of Tambopata National Reserve inside a protected area', async () => {
    const list = await api.get('/v1/zones?kind=protected_area&name=Tambopata');
    // Reserva Nacional Tambopata, SERNANP code RN09: its stable id is derived from the official code.
    const reserve = (list.body.items as Array<{ id: string; name: string }>).find(
      (z) => z.id === 'sernanp-rn09',
    );
    expect(reserve).toBeDefined();
    const feature = await api.get(`/v1/zones/${encodeURIComponent(reserve!.id)}`);
    const ring = (
      feature.body.geometry.type === 'Polygon'
        ? feature.body.geometry.coordinates[0]
        : feature.body.geometry.coordinates[0][0]
    ) as number[][];
    // The vertex average of the outer ring lies inside this compact reserve; the index must agree.
    const lon = ring.reduce((s, p) => s + p[0]!, 0) / ring.length;
    const lat = ring.reduce((s, p) => s + p[1]!, 0) / ring.length;
    const zones = await zonesAt(lat, lon);
    expect(zones.map((z) => z.id)).toContain(reserve!.id);
  });
});
