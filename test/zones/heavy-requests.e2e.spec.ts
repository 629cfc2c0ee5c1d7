import type { Feature, FeatureCollection, Polygon } from 'geojson';
import { sql } from 'kysely';
import { TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';
import { awaitImportJob, ImportJob, importLayer, secondAdminToken } from '../support/zones';

/**
 * No request stalls the API: the size of polygons, layers, areas and periods is limited (400 with field
 * messages); a zone import is a job whose checks and repair run on a worker thread within a time bound; an area
 * query tests a large polygon on a worker thread within a time bound; meanwhile the API keeps answering.
 */
const LIMITS = {
  ZONE_IMPORT_TIMEOUT_SECONDS: '10',
  ZONE_IMPORT_MAX_FEATURES: '50',
  ZONE_IMPORT_MAX_FEATURE_VERTICES: '5000',
  ZONE_IMPORT_MAX_VERTICES: '10000',
  AREA_QUERY_TIMEOUT_MS: '5000',
  AREA_QUERY_MAX_VERTICES: '50000',
  AREA_QUERY_MAX_DAYS: '31',
  AREA_QUERY_MAX_AREA_KM2: '100000',
};

const CENTRE = { lat: -12.8, lon: -69.5 };
const FIXES = 50_000;
const TRACKERS = 50;
const DAY = '2026-11-20';

/** A closed ring of `n` vertices around the centre: a circle, or a star that crosses itself n²/4 times. */
function ring(n: number, radius: number, star = false): number[][] {
  const k = star ? Math.floor(n / 2) : 1;
  const points: number[][] = [];
  // Four decimals (11 m): 50,000 vertices stay within the API's 1 MB body.
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * ((i * k) % n)) / n;
    points.push([round(CENTRE.lon + radius * Math.cos(angle)), round(CENTRE.lat + radius * Math.sin(angle))]);
  }
  points.push(points[0]!);
  return points;
}

const polygon = (coordinates: number[][]): Polygon => ({ type: 'Polygon', coordinates: [coordinates] });
const feature = (name: string, geometry: Polygon): Feature => ({
  type: 'Feature',
  properties: { nombre: name },
  geometry,
});
const layer = (...features: Feature[]): FeatureCollection => ({ type: 'FeatureCollection', features });
const mapping = (name: string) => ({
  layer: name,
  kind: 'protected_area',
  authority: 'SERNANP',
  idPrefix: `${name}-`,
  name: 'nombre',
});

/**
 * Requests GET /v1/zones/versions one after another while `pending()` holds, timing each: the answers counted are those
 * that came back while the heavy request was still running (a blocked event loop answers none of them before
 * the heavy request ends).
 */
async function answersWhile(api: TestApi, pending: () => Promise<boolean> | boolean) {
  const latencies: number[] = [];
  while (await pending()) {
    const started = Date.now();
    const response = await api.get('/v1/zones/versions');
    expect(response.status).toBe(200);
    if (await pending()) latencies.push(Date.now() - started);
  }
  return { answers: latencies.length, worstMs: Math.max(0, ...latencies), latencies };
}

describe.each(storageModes())('requests that would stall the API (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode, LIMITS);
    // 50,000 fixes of 50 trackers around the centre, over one day.
    await sql`
      insert into positions (imei, fix_time, received_at, lat, lon, trusted, source, message_id, message_index)
      select 'heavy-' || lpad((g % ${TRACKERS})::text, 3, '0'),
             ${DAY}::timestamptz + make_interval(secs => g),
             ${DAY}::timestamptz + make_interval(secs => g),
             ${CENTRE.lat} - 0.1 + 0.2 * ((g::bigint * 7919) % 10007) / 10007.0,
             ${CENTRE.lon} - 0.1 + 0.2 * ((g::bigint * 104729) % 10009) / 10009.0,
             true, 'json', gen_random_uuid(), 0
        from generate_series(1, ${FIXES}) as g
    `.execute(api.database.db);
  }, 120_000);
  afterAll(() => api.close());

  const areaQuery = (geometry: object, from = `${DAY}T00:00:00Z`, to = '2026-11-21T00:00:00Z') =>
    api.post('/v1/violations/area-query', { polygon: geometry, from, to });

  it('answers polygons, areas and periods beyond the limits with 400 and a field message', async () => {
    const tooManyVertices = await areaQuery(polygon(ring(50_000, 0.05)));
    expect(tooManyVertices.status).toBe(400);
    expect(tooManyVertices.body.errors).toEqual([
      {
        field: 'polygon',
        messages: [
          'the polygon has 50001 vertices; an area query may have at most 50000 (AREA_QUERY_MAX_VERTICES): simplify it',
        ],
      },
    ]);
    const tooLarge = await areaQuery(polygon(ring(16, 2)));
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.errors[0].field).toBe('polygon');
    expect(tooLarge.body.errors[0].messages[0]).toMatch(
      /^the area's bounding box covers \d+ km²; an area query may cover at most 100000 km²/,
    );
    const tooLong = await areaQuery(polygon(ring(16, 0.05)), '2026-10-01T00:00:00Z', '2026-11-21T00:00:00Z');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([
      {
        field: 'to',
        messages: [
          'the period spans 51 days; an area query may span at most 31 (AREA_QUERY_MAX_DAYS): query shorter periods',
        ],
      },
    ]);

    const tooManyFeatures = await api.post('/v1/zones/import', {
      mapping: mapping('many'),
      geojson: layer(...Array.from({ length: 51 }, (_, i) => feature(`z${i}`, polygon(ring(8, 0.01))))),
    });
    expect(tooManyFeatures.status).toBe(400);
    expect(tooManyFeatures.body.errors).toEqual([
      {
        field: 'geojson.features',
        messages: [
          'the layer has 51 features; at most 50 may be imported at once (ZONE_IMPORT_MAX_FEATURES): split the layer',
        ],
      },
    ]);
    const bigFeature = await api.post('/v1/zones/import', {
      mapping: mapping('big'),
      geojson: layer(feature('small', polygon(ring(8, 0.01))), feature('big', polygon(ring(6000, 0.05)))),
    });
    expect(bigFeature.status).toBe(400);
    expect(bigFeature.body.errors).toEqual([
      {
        field: 'geojson.features[1].geometry',
        messages: [
          'feature 1 has 6001 vertices; a feature may have at most 5000 (ZONE_IMPORT_MAX_FEATURE_VERTICES): simplify it',
        ],
      },
    ]);
    const bigLayer = await api.post('/v1/zones/import', {
      mapping: mapping('biglayer'),
      geojson: layer(
        ...Array.from({ length: 3 }, (_, i) => feature(`z${i}`, polygon(ring(4000, 0.01 * (i + 1))))),
      ),
    });
    expect(bigLayer.status).toBe(400);
    expect(bigLayer.body.errors[0]).toEqual({
      field: 'geojson.features',
      messages: [
        'the layer has 12003 vertices; at most 10000 may be imported at once (ZONE_IMPORT_MAX_VERTICES): split or simplify the layer',
      ],
    });
    // Nothing was started by the refused imports.
    expect((await api.get('/v1/zones/imports')).body.total).toBe(0);
  });

  it('imports a layer as a job: 202 with the job to poll, its stage and result', async () => {
    const started = await api.post('/v1/zones/import', {
      mapping: mapping('reserve'),
      geojson: layer(feature('Reserva', polygon(ring(64, 0.05)))),
      activate: false,
    });
    expect(started.status).toBe(202);
    expect(started.headers['location']).toBe(`/v1/zones/imports/${started.body.id as string}`);
    expect(started.body).toMatchObject({
      layer: 'reserve',
      status: 'queued',
      activate: false,
      timeoutSeconds: 10,
    });
    const job = await awaitImportJob(api, started.body.id as string);
    expect(job).toMatchObject({ status: 'succeeded', stage: 'done', error: null });
    expect(job.result).toMatchObject({ zoneCount: 1, activated: false, activation: null });
    expect((await api.get('/v1/zones/imports/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.get('/v1/zones/imports/not-a-job')).status).toBe(400);
  });

  it('keeps answering while a self-intersecting polygon is repaired, and fails the import at its time bound', async () => {
    // 801 vertices crossing themselves about 160,000 times: its repair runs for minutes.
    const started = await api.post('/v1/zones/import', {
      mapping: mapping('star'),
      geojson: layer(feature('Estrella', polygon(ring(801, 0.1, true)))),
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    let job: ImportJob = started.body as ImportJob;
    const seen = new Set<string>();
    const during = await answersWhile(api, async () => {
      job = (await api.get(`/v1/zones/imports/${id}`)).body as ImportJob;
      seen.add(`${job.status}/${job.stage}`);
      return job.status === 'queued' || job.status === 'running';
    });
    expect(seen).toContain('running/repairing');
    expect(during.answers).toBeGreaterThanOrEqual(3);
    expect(job).toMatchObject({
      status: 'failed',
      stage: 'done',
      result: null,
      error:
        "the layer's checks and repair did not finish within 10 s (ZONE_IMPORT_TIMEOUT_SECONDS); simplify or split the layer, or repair its polygons before importing",
    });
    const finished = await awaitImportJob(api, id);
    const ran =
      Date.parse(String((finished as unknown as { finishedAt: string }).finishedAt)) -
      Date.parse(String((finished as unknown as { startedAt: string }).startedAt));
    expect(ran).toBeGreaterThanOrEqual(10_000);
    expect(ran).toBeLessThan(30_000);
    // No pause of the API came near the job's time: it was never held by the repair.
    expect(during.worstMs).toBeLessThan(ran / 3);
    process.stderr.write(
      `[${mode}] star import: ${during.answers} answers while it ran, worst ${during.worstMs} ms; failed after ${ran} ms\n`,
    );
  });

  it('keeps answering while an area query tests 50,000 fixes against a large polygon on a worker thread', async () => {
    let pending = true;
    const started = Date.now();
    const query = areaQuery(polygon(ring(200, 0.05))).then((response) => {
      pending = false;
      return response;
    });
    const during = await answersWhile(api, () => pending);
    const response = await query;
    const tookMs = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.body.truncated).toBe(false);
    expect(response.body.machines).toHaveLength(TRACKERS);
    const inside = (response.body.machines as Array<{ fixes: number }>).reduce((sum, m) => sum + m.fixes, 0);
    // A disc of radius 0.05° in a square of side 0.2°: about π/16 of the fixes.
    expect(inside / FIXES).toBeGreaterThan(0.17);
    expect(inside / FIXES).toBeLessThan(0.22);
    expect(during.answers).toBeGreaterThanOrEqual(1);
    process.stderr.write(
      `[${mode}] area query (200 vertices × 50,000 fixes): ${tookMs} ms, ${during.answers} answers meanwhile, worst ${during.worstMs} ms\n`,
    );
  });

  it('answers an area query that outlasts its time with 422, and keeps answering meanwhile', async () => {
    let pending = true;
    const started = Date.now();
    // A disc over every fix (their square's corners are 0.14° from the centre): all 50,000 are read and tested
    // against all 49,999 edges, several times what any machine does within the 5 s bound.
    const query = areaQuery(polygon(ring(49_999, 0.15))).then((response) => {
      pending = false;
      return response;
    });
    const during = await answersWhile(api, () => pending);
    const response = await query;
    const tookMs = Date.now() - started;
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message:
        'the area query did not finish within 5000 ms (AREA_QUERY_TIMEOUT_MS): query a smaller area or a shorter period',
      errors: [
        {
          field: 'to',
          messages: [
            'the area query did not finish within 5000 ms (AREA_QUERY_TIMEOUT_MS): query a smaller area or a shorter period',
          ],
        },
      ],
    });
    expect(during.answers).toBeGreaterThanOrEqual(3);
    // No pause of the API came near the query's time: it was never held by the polygon test.
    expect(during.worstMs).toBeLessThan(tookMs / 3);
    expect(tookMs).toBeLessThan(30_000);
    process.stderr.write(
      `[${mode}] area query (50,000 vertices × 50,000 fixes): 422 after ${tookMs} ms, ${during.answers} answers meanwhile, worst ${during.worstMs} ms\n`,
    );
  });

  it('activates a catalogue version only when a second administrator confirms it, audited', async () => {
    const job = await importLayer(api, {
      mapping: mapping('two-person'),
      geojson: layer(feature('Dos personas', polygon(ring(32, 0.04)))),
    });
    // importLayer confirms with the second administrator; here the proposal is walked by hand.
    expect(job.status).toBe('succeeded');
    const other = await importLayer(api, {
      mapping: mapping('two-person'),
      geojson: layer(feature('Dos personas', polygon(ring(32, 0.03)))),
      activate: false,
    });
    const version = other.result!.version;
    const active = async () =>
      ((await api.get('/v1/zones/versions')).body as Array<{ version: string; active: boolean }>).find(
        (v) => v.active,
      )!.version;
    const before = await active();

    expect((await api.post(`/v1/zones/versions/${version}/activate`, {})).body.errors).toEqual([
      { field: 'reason', messages: expect.any(Array) },
    ]);
    const proposed = await api.post(`/v1/zones/versions/${version}/activate`, {
      reason: 'new reserve limits',
    });
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({
      kind: 'zone_catalogue.activation',
      entityId: version,
      status: 'pending',
      reason: 'new reserve limits',
      proposedBy: 'admin',
    });
    expect(await active()).toBe(before);
    const again = await api.post(`/v1/zones/versions/${version}/activate`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already proposed by admin .*another administrator confirms it$/);

    const self = await api.post(`/v1/zones/versions/${version}/activate/confirm`, {});
    expect(self.status).toBe(403);
    expect(self.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: `you proposed the activation of catalogue version ${version}; another administrator must confirm it`,
    });
    expect(await active()).toBe(before);

    const second = await secondAdminToken(api);
    const confirmed = await api.post(
      `/v1/zones/versions/${version}/activate/confirm`,
      { reason: 'checked' },
      second,
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ version, active: true, proposal: { status: 'confirmed' } });
    expect(await active()).toBe(version);
    expect((await api.post(`/v1/zones/versions/${version}/activate/confirm`, {}, second)).status).toBe(404);

    // A proposal can be withdrawn: nothing changes.
    expect((await api.post(`/v1/zones/versions/${before}/activate`, { reason: 'roll back' })).status).toBe(
      202,
    );
    const rejected = await api.post(
      `/v1/zones/versions/${before}/activate/reject`,
      { reason: 'not yet' },
      second,
    );
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decidedBy: expect.stringMatching(/^second\.admin\./),
    });
    expect((await api.post(`/v1/zones/versions/${before}/activate/confirm`, {}, second)).status).toBe(404);
    expect(await active()).toBe(version);

    const audit = await api.get(`/v1/audit?entityType=zone_catalogue&entityId=${version}`);
    const actions = (audit.body.items as Array<{ action: string; actor: string; after: unknown }>).map(
      (e) => e.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['zone_catalogue.activation_proposed', 'zone_catalogue.activated']),
    );
    const activated = (audit.body.items as Array<{ action: string; after: Record<string, unknown> }>).find(
      (e) => e.action === 'zone_catalogue.activated',
    )!;
    expect(activated.after).toMatchObject({
      version,
      proposedBy: 'admin',
      confirmedBy: expect.stringMatching(/^second\.admin\./),
    });
  });
});
