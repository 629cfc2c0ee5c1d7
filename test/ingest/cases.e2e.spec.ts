import type { Feature, FeatureCollection, Polygon } from 'geojson';
import { MqttClient } from 'mqtt';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { connectDevice, enrolDevice, fix, storedPositions } from '../support/devices';
import { TEST_RIVER, TEST_RIVER_MAPPING } from '../support/river';
import { storageModes } from '../support/storage';
import { eventually } from '../dispatch/support';
import { importLayer } from '../support/zones';

function square(
  minLon: number,
  minLat: number,
  maxLon: number,
  maxLat: number,
  properties: object,
): Feature<Polygon> {
  return {
    type: 'Feature',
    properties,
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [minLon, minLat],
          [maxLon, minLat],
          [maxLon, maxLat],
          [minLon, maxLat],
          [minLon, minLat],
        ],
      ],
    },
  };
}

const collection = (...features: Feature[]): FeatureCollection => ({ type: 'FeatureCollection', features });

/** Fixes every minute from `start` at one place, slow and with ignition on (operating). */
function track(start: number, count: number, lat: number, lon: number) {
  return Array.from({ length: count }, (_, i) =>
    fix(new Date(start + i * 60_000).toISOString(), lat, lon, { speed: 2 }),
  );
}

interface CaseRow {
  id: string;
  rule_id: string;
  severity: string;
  incident_id: string;
  zones: { id: string; name: string; kind: string; layer?: string }[];
}

describe.each(storageModes())('one act, one case (%s storage)', (mode) => {
  let api: TestApi;
  let brokerUrl: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
    brokerUrl = api.app.get(IngestRuntime).brokerUrl!;
    const imports = [
      // The same river in a second layer (a centre line with a wider buffer): overlapping water bodies.
      { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER },
      {
        mapping: {
          ...TEST_RIVER_MAPPING,
          layer: 'test-centerlines',
          idPrefix: 'centerline',
          bufferMeters: 400,
        },
        geojson: TEST_RIVER,
      },
      {
        mapping: {
          layer: 'test-reserves',
          kind: 'protected_area',
          authority: 'SERNANP',
          idPrefix: 'rn',
          name: 'nombre',
          legalBasis: { value: 'Ley N° 26834' },
        },
        geojson: collection(square(-69.6, -12.9, -69.5, -12.8, { nombre: 'Reserva Nacional de Prueba' })),
      },
      {
        mapping: {
          layer: 'test-departments',
          kind: 'jurisdiction',
          authority: 'INEI',
          idPrefix: 'dep-',
          name: 'NOMBDEP',
          legalBasis: { value: 'Límites departamentales' },
          properties: { department: 'NOMBDEP' },
        },
        geojson: collection(square(-70, -13.2, -69, -12.4, { NOMBDEP: 'MADRE DE DIOS' })),
      },
    ];
    for (const body of imports) expect((await importLayer(api, body)).status).toBe('succeeded');
    await eventually(async () => {
      const at = await api.get('/v1/zones/at?lat=-12.8502&lon=-69.55');
      return at.status === 200 && at.body.zones.length === 4;
    }, 'the four layers in the index');
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await api.close();
  });

  async function drive(category: string, fixes: object[], machineFields: object = {}) {
    const device = await enrolDevice(api, category, machineFields);
    const client = await connectDevice(brokerUrl, device.imei, device.password);
    clients.push(client);
    for (const f of fixes)
      await client.publishAsync(`devices/${device.imei}/fixes`, JSON.stringify(f), { qos: 1 });
    return device;
  }

  const casesOf = (machineId: string) =>
    api.database.db
      .selectFrom('violations')
      .select(['id', 'rule_id', 'severity', 'incident_id', 'zones'])
      .where('machine_id', '=', machineId)
      .where('zone_kind', '<>', 'integrity')
      .orderBy('rule_id')
      .execute() as Promise<CaseRow[]>;

  it('gives a dredge on a river mapped twice, inside a reserve, one violation per legal basis joined by one incident', async () => {
    const start = Date.now() - 20 * 60_000;
    const dredge = await drive('dredge', track(start, 6, -12.8502, -69.55));
    const rows = await eventually(async () => {
      const found = await casesOf(dredge.machineId);
      return found.length >= 3 ? found : undefined;
    }, 'the dredge violations');
    expect(rows.map((r) => `${r.rule_id}:${r.severity}`)).toEqual([
      'dredge-in-water-body:violation',
      'operating-in-protected-area:violation',
      'unknown-use-outside-mining-corridor:warning',
    ]);
    const river = rows[0] as CaseRow;
    expect(river.zones.map((z) => z.id).sort()).toEqual(['centerlinerio-de-prueba', 'riverrio-de-prueba']);
    expect(river.zones.every((z) => z.kind === 'water_body' && z.name === 'Río de Prueba')).toBe(true);
    expect(new Set(rows.map((r) => r.incident_id)).size).toBe(1);

    const opened = await api.database.db
      .selectFrom('outbox_events')
      .select(['aggregate_id', 'payload'])
      .where('type', '=', 'violation.opened')
      .where(
        'aggregate_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    expect(opened).toHaveLength(3);
    for (const event of opened) {
      const payload = event.payload as { incident_id: string; zones: unknown[]; description: string };
      expect(payload.incident_id).toBe(river.incident_id);
      expect(payload.zones.length).toBeGreaterThan(0);
    }
  });

  it('warns once of a machine of unknown use working outside the corridor, naming no water or reserve', async () => {
    const start = Date.now() - 20 * 60_000;
    const excavator = await drive('excavator', track(start, 6, -12.6, -69.3));
    const rows = await eventually(async () => {
      const found = await casesOf(excavator.machineId);
      return found.length > 0 ? found : undefined;
    }, 'the warning');
    expect(rows.map((r) => `${r.rule_id}:${r.severity}`)).toEqual([
      'unknown-use-outside-mining-corridor:warning',
    ]);
    expect(rows[0]?.zones.map((z) => z.kind)).toEqual(['jurisdiction']);
    // The department-wide verdict names where the machine is, not the department as the place of the act.
    const named = await api.database.db
      .selectFrom('violations')
      .select('zone_name')
      .where('id', '=', rows[0]!.id)
      .executeTakeFirstOrThrow();
    expect(named.zone_name).toMatch(
      /^(en|a \d+,\d km de) .+ \(distrito de .+, provincia de .+\), MADRE DE DIOS$/,
    );
  });

  it('gives nothing for a road-works excavator outside the corridor, and a violation for a mining one', async () => {
    const start = Date.now() - 20 * 60_000;
    const roadWorks = await drive('excavator', track(start, 6, -12.6, -69.3), { declaredUse: 'road_works' });
    const mining = await drive('excavator', track(start, 6, -12.6, -69.3), { declaredUse: 'mining' });
    const rows = await eventually(async () => {
      const found = await casesOf(mining.machineId);
      return found.length > 0 ? found : undefined;
    }, 'the mining excavator violation');
    expect(rows.map((r) => `${r.rule_id}:${r.severity}`)).toEqual([
      'operating-outside-mining-corridor:violation',
    ]);
    // Violations are written in the transaction storing the fixes: once all six are stored, nothing more comes.
    await eventually(
      async () => ((await storedPositions(api, roadWorks.imei)).length === 6 ? true : undefined),
      'the road-works fixes stored',
    );
    expect(await casesOf(roadWorks.machineId)).toEqual([]);
  });
});
