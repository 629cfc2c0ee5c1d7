import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { Store } from '@app/db';
import { ROLES, Role } from '@app/platform';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { TestApi, startTestApi } from '../support/api';
import { createMachine, createOwner, createTracker } from '../support/factories';
import { storageModes } from '../support/storage';
import { eventually, openViolation } from '../dispatch/support';
import { importLayer } from '../support/zones';

/**
 * The access table: every route the registry API serves (the main job's routes, ingest's included), who may call
 * it, and how far an agency's users see with it. The test reads the routes from Nest's router (Express's stack,
 * as mounted) and fails when a route is served that the table does not list, or listed that is not served: a
 * new route without an access rule fails CI. Then it calls every route as every role (and without a token),
 * and every route an agency's users may call both inside and outside their jurisdiction.
 */

/** Who may call a route: listed roles, anyone (sign-in, the OpenAPI document), or only the broker's hooks. */
type Access = readonly Role[] | 'public' | 'broker-hook';

/**
 * How an agency's users (enforcement officers, integrations) are bounded on a route:
 * - `national`: the whole registry (machines, trackers, zones, agencies' names: needed to identify a machine
 *   met in the field, wherever it is registered); personal data in it still masked by need-to-know;
 * - `subject`: 403 for a subject outside the agency's jurisdiction (a violation, an owner);
 * - `filtered`: what lies outside the jurisdiction is left out of the answer (lists, the area query);
 * - `live`: the live feed, filtered per event (test/dispatch/dredge.e2e.spec.ts streams it);
 * - `self`: the caller's own account;
 * - `none`: agencies' users may not call the route at all.
 */
type Jurisdiction = 'national' | 'subject' | 'filtered' | 'live' | 'self' | 'none';

interface Rule {
  readonly access: Access;
  readonly jurisdiction: Jurisdiction;
  /** Officers and integrations must give a case or operation reference; the read is audited. */
  readonly reference?: true;
}

const ALL: readonly Role[] = ROLES;
const REGISTRY_READERS: readonly Role[] = ['admin', 'registry_clerk', 'enforcement_officer', 'auditor'];
const REGISTRY_WRITERS: readonly Role[] = ['admin', 'registry_clerk'];
const CASE_READERS: readonly Role[] = ['admin', 'enforcement_officer', 'agency_integration', 'auditor'];
const CASE_ACTORS: readonly Role[] = ['admin', 'enforcement_officer'];
const ADMIN: readonly Role[] = ['admin'];
const ADMIN_AND_AUDITOR: readonly Role[] = ['admin', 'auditor'];

const DOCS = { access: 'public', jurisdiction: 'national' } as const;

export const ACCESS_TABLE: Readonly<Record<string, Rule>> = {
  'GET /docs': DOCS,
  'GET /docs/': DOCS,
  'GET /docs/index.html': DOCS,
  'GET /docs/LICENSE': DOCS,
  'GET /docs/swagger-ui-init.js': DOCS,
  'GET /docs/docs/swagger-ui-init.js': DOCS,
  'GET /docs/openapi.json': DOCS,
  'GET /docs-yaml': DOCS,

  'POST /v1/auth/login': { access: 'public', jurisdiction: 'national' },
  'GET /v1/auth/me': { access: ALL, jurisdiction: 'self' },
  'GET /v1/users': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'POST /v1/users': { access: ADMIN, jurisdiction: 'none' },
  'PATCH /v1/users/:id': { access: ADMIN, jurisdiction: 'none' },
  'GET /v1/agencies': { access: ALL, jurisdiction: 'national' },
  'POST /v1/agencies': { access: ADMIN, jurisdiction: 'none' },
  'GET /v1/agencies/:id/subscriptions': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'POST /v1/agencies/:id/subscriptions': { access: ADMIN, jurisdiction: 'none' },
  'DELETE /v1/agencies/:id/subscriptions/:subscriptionId': { access: ADMIN, jurisdiction: 'none' },
  'GET /v1/agencies/:id/channels': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'POST /v1/agencies/:id/channels': { access: ADMIN, jurisdiction: 'none' },
  'DELETE /v1/agencies/:id/channels/:channelId': { access: ADMIN, jurisdiction: 'none' },
  'POST /v1/agencies/:id/mqtt-credentials': { access: ADMIN, jurisdiction: 'none' },
  'DELETE /v1/agencies/:id/mqtt-credentials': { access: ADMIN, jurisdiction: 'none' },

  'POST /v1/owners': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'GET /v1/owners': { access: REGISTRY_READERS, jurisdiction: 'filtered', reference: true },
  'GET /v1/owners/:id': { access: REGISTRY_READERS, jurisdiction: 'subject', reference: true },
  'PATCH /v1/owners/:id': { access: REGISTRY_WRITERS, jurisdiction: 'none' },

  'POST /v1/machines': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/import': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'GET /v1/machines': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'GET /v1/machines/:id': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'GET /v1/machines/:id/history': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'PATCH /v1/machines/:id': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'PUT /v1/machines/:id/declared-use': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/:id/status': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/:id/transfer': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/:id/tracker': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/:id/tracker/unbind': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/machines/:id/windows': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'GET /v1/machines/:id/windows': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'POST /v1/machines/:id/windows/:windowId/cancel': { access: REGISTRY_WRITERS, jurisdiction: 'none' },

  'POST /v1/trackers': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'GET /v1/trackers': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'GET /v1/trackers/:id': { access: REGISTRY_READERS, jurisdiction: 'national' },
  'PATCH /v1/trackers/:id': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'POST /v1/trackers/:id/credentials': { access: REGISTRY_WRITERS, jurisdiction: 'none' },
  'DELETE /v1/trackers/:id/credentials': { access: REGISTRY_WRITERS, jurisdiction: 'none' },

  'GET /v1/audit': { access: ['admin', 'registry_clerk', 'auditor'], jurisdiction: 'none' },

  'GET /v1/zones': { access: ALL, jurisdiction: 'national' },
  'GET /v1/zones/at': { access: ALL, jurisdiction: 'national' },
  'GET /v1/zones/versions': { access: ALL, jurisdiction: 'national' },
  'GET /v1/zones/versions/:version': { access: ALL, jurisdiction: 'national' },
  'POST /v1/zones/versions/:version/activate': { access: ADMIN, jurisdiction: 'none' },
  'POST /v1/zones/versions/:version/activate/confirm': { access: ADMIN, jurisdiction: 'none' },
  'POST /v1/zones/versions/:version/activate/reject': { access: ADMIN, jurisdiction: 'none' },
  'GET /v1/zones/versions/:version/proposals': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'POST /v1/zones/import': { access: ADMIN, jurisdiction: 'none' },
  'GET /v1/zones/imports': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'GET /v1/zones/imports/:id': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'GET /v1/zones/:id': { access: ALL, jurisdiction: 'national' },

  'GET /v1/violations': { access: CASE_READERS, jurisdiction: 'filtered' },
  'POST /v1/violations/area-query': { access: CASE_READERS, jurisdiction: 'filtered', reference: true },
  'GET /v1/violations/:id': { access: CASE_READERS, jurisdiction: 'subject' },
  'POST /v1/violations/:id/acknowledge': { access: CASE_ACTORS, jurisdiction: 'subject' },
  'POST /v1/violations/:id/dispatch': { access: CASE_ACTORS, jurisdiction: 'subject' },
  'POST /v1/violations/:id/resolve': { access: CASE_ACTORS, jurisdiction: 'subject' },
  'POST /v1/violations/:id/resolve/confirm': { access: CASE_ACTORS, jurisdiction: 'subject' },
  'POST /v1/violations/:id/resolve/reject': { access: CASE_ACTORS, jurisdiction: 'subject' },
  'GET /v1/violations/:id/evidence': { access: CASE_READERS, jurisdiction: 'subject', reference: true },
  'GET /v1/violations/:id/evidence/verify': { access: CASE_READERS, jurisdiction: 'subject' },
  'GET /v1/violations/:id/export': { access: CASE_READERS, jurisdiction: 'subject', reference: true },
  'GET /v1/evidence/signing-key': { access: CASE_READERS, jurisdiction: 'national' },
  // Every key that signed, and the anchors every agency is sent anyway: nothing in them is of one jurisdiction.
  'GET /v1/evidence/signing-keys': { access: CASE_READERS, jurisdiction: 'national' },
  'GET /v1/evidence/anchors': { access: CASE_READERS, jurisdiction: 'national' },
  'GET /v1/alerts/stream': { access: CASE_READERS, jurisdiction: 'live' },

  'GET /v1/stats/dismissals': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },

  'GET /v1/deliveries': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'POST /v1/deliveries/replay': { access: ADMIN, jurisdiction: 'none' },
  'POST /v1/deliveries/:id/replay': { access: ADMIN, jurisdiction: 'none' },

  'GET /v1/ingest/stats': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'GET /v1/ingest/refused': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },
  'GET /v1/ingest/instances': { access: ADMIN_AND_AUDITOR, jurisdiction: 'none' },

  'POST /v1/broker/emqx/authenticate': { access: 'broker-hook', jurisdiction: 'none' },
  'POST /v1/broker/emqx/authorize': { access: 'broker-hook', jurisdiction: 'none' },
};

/** Routes that only read although they are not GETs (a query with a polygon in its body). */
const READING_POSTS = new Set(['POST /v1/violations/area-query']);

const AGENCY_ROLES: readonly Role[] = ['enforcement_officer', 'agency_integration'];
const PASSWORD = 'a-long-enough-password';
const REFERENCE = 'CASE-FEMA-LORETO-2026-0042';

/** A square around (lat, lon) as a GeoJSON polygon. */
function square(south: number, west: number, north: number, east: number) {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
      ],
    ],
  };
}

function departmentsLayer() {
  const feature = (name: string, polygon: ReturnType<typeof square>) => ({
    type: 'Feature',
    properties: { NOMBDEP: name },
    geometry: polygon,
  });
  return {
    mapping: {
      layer: 'access-departments',
      kind: 'jurisdiction',
      authority: 'INEI',
      idPrefix: 'access-dep-',
      name: 'NOMBDEP',
      legalBasis: { value: 'Límites departamentales' },
      properties: { department: 'NOMBDEP' },
    },
    geojson: {
      type: 'FeatureCollection',
      features: [
        feature('LORETO', square(-4.2, -73.6, -3.4, -72.8)),
        feature('MADRE DE DIOS', square(-13.2, -70, -12.4, -69)),
      ],
    },
  };
}

/** A point in each department of the layer above. */
const IN_LORETO = { lat: -3.8, lon: -73.2 };
const IN_MADRE_DE_DIOS = { lat: -12.8, lon: -69.5 };

describe.each(storageModes())(
  'access table: every route × every role × jurisdiction (%s storage)',
  (mode) => {
    let api: TestApi;
    let baseUrl: string;
    const tokens = new Map<string, string>();
    /** Fixtures: a Loreto dredge owned by a natural person, with a violation and fixes; an MDD machine. */
    const ids = {} as Record<
      | 'loretoAgency'
      | 'mddAgency'
      | 'ownerPerson'
      | 'ownerCompany'
      | 'machine'
      | 'mddMachine'
      | 'tracker'
      | 'violation'
      | 'zone'
      | 'version'
      | 'importJob'
      | 'clerkUser',
      string
    >;
    let dni: string;
    let imei: string;
    let mddImei: string;
    const secrets: string[] = [];
    const from = new Date(Date.now() - 60 * 60_000);
    const to = new Date(Date.now() + 60_000);

    async function user(username: string, role: Role, agencyId?: string): Promise<string> {
      const created = await api.post('/v1/users', {
        username,
        displayName: username,
        password: PASSWORD,
        role,
        ...(agencyId ? { agencyId } : {}),
      });
      expect(created.status).toBe(201);
      if (role === 'registry_clerk') ids.clerkUser = created.body.id;
      return api.login(username, PASSWORD);
    }

    async function agency(code: string, kind: string, departments: string[]): Promise<string> {
      const created = await api.post('/v1/agencies', { code, name: `Agency ${code}`, kind });
      expect(created.status).toBe(201);
      const subscribed = await api.post(`/v1/agencies/${created.body.id}/subscriptions`, { departments });
      expect(subscribed.status).toBe(201);
      return created.body.id as string;
    }

    async function enrol(department: string, ownerId: string) {
      const machine = await createMachine(api, ownerId, { category: 'dredge', department });
      const tracker = await createTracker(api);
      const bound = await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id });
      expect(bound.status).toBe(201);
      return { machineId: machine.id, imei: tracker.imei, trackerId: tracker.id };
    }

    async function storeFixes(device: string, at: { lat: number; lon: number }, count: number) {
      const start = Date.now() - 30 * 60_000;
      await api.database.db
        .insertInto('positions')
        .values(
          Array.from({ length: count }, (_, i) => ({
            imei: device,
            fix_time: new Date(start + i * 60_000),
            received_at: new Date(start + i * 60_000),
            lat: at.lat,
            lon: at.lon,
            h3_cell: null,
            speed_kmh: 2,
            heading_deg: null,
            altitude_m: null,
            hdop: null,
            pdop: null,
            satellites: null,
            ignition: true,
            external_voltage_v: null,
            battery_v: null,
            events: [],
            flags: [],
            trusted: true,
            sequence: null,
            source: 'test',
            message_id: randomUUID(),
            message_index: i,
          })),
        )
        .execute();
    }

    beforeAll(async () => {
      api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0' }, [IngestModule]);
      await api.app.listen(0, '127.0.0.1');
      baseUrl = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;

      const imported = await importLayer(api, departmentsLayer());
      expect(imported.status).toBe('succeeded');
      ids.importJob = imported.id;
      await eventually(async () => {
        const at = await api.get(`/v1/zones/at?lat=${IN_LORETO.lat}&lon=${IN_LORETO.lon}`);
        return at.status === 200 && at.body.zones.length === 1 ? true : undefined;
      }, 'the departments layer in the index');
      ids.zone = (await api.get(`/v1/zones/at?lat=${IN_LORETO.lat}&lon=${IN_LORETO.lon}`)).body.zones[0].id;
      ids.version = (await api.get('/v1/zones/versions')).body[0].version;

      ids.loretoAgency = await agency(`LOR-${mode.toUpperCase()}`, 'police', ['LORETO']);
      ids.mddAgency = await agency(`MDD-${mode.toUpperCase()}`, 'police', ['MADRE DE DIOS']);
      const fema = await agency(`FEMA-LOR-${mode.toUpperCase()}`, 'prosecutor', ['LORETO']);
      const issued = await api.post(`/v1/agencies/${ids.loretoAgency}/mqtt-credentials`);
      expect(issued.status).toBe(201);
      const channel = await api.post(`/v1/agencies/${ids.mddAgency}/channels`, {
        kind: 'webhook',
        url: 'https://alerts.example.pe/hook',
      });
      expect(channel.status).toBe(201);
      secrets.push(channel.body.secret, issued.body.password);

      tokens.set('admin', api.adminToken);
      tokens.set('registry_clerk', await user(`clerk.${mode}`, 'registry_clerk'));
      tokens.set('auditor', await user(`auditor.${mode}`, 'auditor'));
      tokens.set(
        'enforcement_officer',
        await user(`officer.lor.${mode}`, 'enforcement_officer', ids.loretoAgency),
      );
      tokens.set(
        'agency_integration',
        await user(`integration.lor.${mode}`, 'agency_integration', ids.loretoAgency),
      );
      tokens.set(
        'out:enforcement_officer',
        await user(`officer.mdd.${mode}`, 'enforcement_officer', ids.mddAgency),
      );
      tokens.set(
        'out:agency_integration',
        await user(`integration.mdd.${mode}`, 'agency_integration', ids.mddAgency),
      );
      tokens.set('prosecutor', await user(`fema.lor.${mode}`, 'enforcement_officer', fema));

      dni = String(40_000_000 + Math.floor(Math.random() * 9_999_999));
      const person = await api.post('/v1/owners', {
        kind: 'person',
        documentType: 'DNI',
        documentNumber: dni,
        name: 'Juan Pérez Quispe',
        email: 'juan.perez@example.pe',
        phone: '+51 965 000 111',
        address: 'Jr. Próspero 123, Iquitos',
      });
      expect(person.status).toBe(201);
      ids.ownerPerson = person.body.id;
      ids.ownerCompany = (await createOwner(api)).id;
      const loreto = await enrol('LORETO', ids.ownerPerson);
      ids.machine = loreto.machineId;
      ids.tracker = loreto.trackerId;
      imei = loreto.imei;
      const mdd = await enrol('MADRE DE DIOS', ids.ownerCompany);
      ids.mddMachine = mdd.machineId;
      mddImei = mdd.imei;
      await api.post(`/v1/trackers/${loreto.trackerId}/credentials`);
      ids.violation = (await openViolation(api, loreto, { department: 'LORETO' })).id;
      await openViolation(api, mdd, { department: 'MADRE DE DIOS' });
      await storeFixes(imei, IN_LORETO, 5);
      await storeFixes(mddImei, IN_MADRE_DE_DIOS, 4);

      // What must never leave the database: password hashes, device and agency secret hashes.
      const store = api.app.get(Store);
      for (const u of await store.repos.users.list()) secrets.push(u.password_hash);
      const trackerRow = await store.repos.trackers.findById(loreto.trackerId);
      secrets.push(trackerRow!.secret_hash!);
      const agencyRow = await store.repos.agencies.findById(ids.loretoAgency);
      secrets.push((agencyRow as unknown as { mqtt_secret_hash: string }).mqtt_secret_hash);
    }, 120_000);
    afterAll(() => api.close());

    /** The routes as Nest mounted them on Express: "METHOD /path". */
    function servedRoutes(): string[] {
      const router = (
        api.app.getHttpAdapter().getInstance() as {
          router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
        }
      ).router;
      const routes = new Set<string>();
      for (const layer of router.stack) {
        if (!layer.route) continue;
        for (const method of Object.keys(layer.route.methods))
          if (method !== '_all') routes.add(`${method.toUpperCase()} ${layer.route.path}`);
      }
      return [...routes].sort();
    }

    function isWrite(route: string): boolean {
      return !route.startsWith('GET ') && !READING_POSTS.has(route);
    }

    /** The path with real fixtures for reads, unknown ids for writes (which then fail after access is granted). */
    function pathOf(route: string): string {
      const path = route.slice(route.indexOf(' ') + 1);
      const write = isWrite(route);
      const byPrefix: Array<[RegExp, string]> = [
        [/^\/v1\/owners\/:id/, write ? randomUUID() : ids.ownerPerson],
        [/^\/v1\/machines\/:id/, write ? randomUUID() : ids.machine],
        [/^\/v1\/trackers\/:id/, write ? randomUUID() : ids.tracker],
        [/^\/v1\/violations\/:id/, write ? randomUUID() : ids.violation],
        [/^\/v1\/agencies\/:id/, write ? randomUUID() : ids.loretoAgency],
        [/^\/v1\/zones\/imports\/:id/, ids.importJob],
        [/^\/v1\/zones\/:id/, ids.zone],
      ];
      let filled = path;
      for (const [pattern, id] of byPrefix) if (pattern.test(filled)) filled = filled.replace(':id', id);
      filled = filled.replace(':version', write ? 'ffffffffffffffff' : ids.version);
      filled = filled.replace(/:[a-zA-Z]+/g, () => randomUUID());
      if (route === 'GET /v1/zones/at') filled += `?lat=${IN_LORETO.lat}&lon=${IN_LORETO.lon}`;
      if (route === 'GET /v1/violations/:id/export') filled += '?format=geojson';
      if (route === 'GET /v1/stats/dismissals')
        filled += `?from=${from.toISOString()}&to=${to.toISOString()}`;
      return filled;
    }

    function bodyOf(route: string): object | undefined {
      if (route === 'POST /v1/violations/area-query')
        return { polygon: square(-14, -75, -3, -68), from: from.toISOString(), to: to.toISOString() };
      if (route === 'POST /v1/broker/emqx/authenticate')
        return { clientid: imei, username: imei, password: 'not-the-secret' };
      if (route === 'POST /v1/broker/emqx/authorize')
        return { clientid: imei, username: imei, topic: `devices/${imei}/fixes`, action: 'publish' };
      // Writes get a field no route accepts: a granted call ends in 400 or 404 and changes nothing.
      return isWrite(route) ? { notAField: true } : undefined;
    }

    /** Calls a route; the live feed is opened and closed as soon as its status is known. */
    async function call(
      route: string,
      token: string | undefined,
      options: { path?: string; body?: object; reference?: boolean } = {},
    ): Promise<{ status: number; text: string; body: unknown }> {
      const method = route.slice(0, route.indexOf(' '));
      const path = options.path ?? pathOf(route);
      const headers: Record<string, string> = {};
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (options.reference !== false) headers['x-case-reference'] = REFERENCE;
      if (route === 'GET /v1/alerts/stream') {
        const controller = new AbortController();
        const response = await fetch(`${baseUrl}${path}`, { headers, signal: controller.signal });
        const text = response.headers.get('content-type')?.includes('json') ? await response.text() : '';
        controller.abort();
        return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
      }
      const body = options.body ?? bodyOf(route);
      let request = api.http()[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path);
      for (const [name, value] of Object.entries(headers)) request = request.set(name, value);
      const response: Response = body === undefined ? await request : await request.send(body);
      return { status: response.status, text: response.text, body: response.body };
    }

    it('lists every route Nest serves, and serves every route it lists', () => {
      const served = servedRoutes();
      const listed = Object.keys(ACCESS_TABLE).sort();
      expect(served.filter((r) => !(r in ACCESS_TABLE))).toEqual([]);
      expect(listed.filter((r) => !served.includes(r))).toEqual([]);
      expect(served.length).toBeGreaterThan(60);
    });

    it('lets the auditor read every route that reads and no route that writes', () => {
      for (const [route, rule] of Object.entries(ACCESS_TABLE)) {
        if (typeof rule.access === 'string') continue;
        if (isWrite(route)) expect([route, rule.access.includes('auditor')]).toEqual([route, false]);
        else expect([route, rule.access.includes('auditor')]).toEqual([route, true]);
      }
    });

    it('answers every route as the table says for every role and without a token', async () => {
      const outcomes: string[] = [];
      const expected: string[] = [];
      let calls = 0;
      for (const [route, rule] of Object.entries(ACCESS_TABLE)) {
        for (const role of [...ROLES, 'anonymous'] as const) {
          const token = role === 'anonymous' ? undefined : tokens.get(role);
          const { status, text } = await call(route, token);
          calls++;
          const verdict =
            rule.access === 'broker-hook'
              ? status === 401
                ? 'refused-hook'
                : `hook answered ${status}`
              : rule.access === 'public'
                ? status !== 401 && status !== 403 && status < 500
                  ? 'public'
                  : `public answered ${status}`
                : role === 'anonymous'
                  ? status === 401
                    ? 'unauthenticated'
                    : `anonymous got ${status}`
                  : rule.access.includes(role)
                    ? status === 401 || status === 403 || status >= 500
                      ? `granted role got ${status}`
                      : isWrite(route) || status < 300
                        ? 'granted'
                        : `granted read got ${status}`
                    : status === 403
                      ? 'forbidden'
                      : `forbidden role got ${status}`;
          outcomes.push(`${route} as ${role}: ${verdict}`);
          expected.push(
            `${route} as ${role}: ${
              rule.access === 'broker-hook'
                ? 'refused-hook'
                : rule.access === 'public'
                  ? 'public'
                  : role === 'anonymous'
                    ? 'unauthenticated'
                    : rule.access.includes(role)
                      ? 'granted'
                      : 'forbidden'
            }`,
          );
          // No answer carries a password hash, a device or agency secret hash, or a channel secret.
          for (const secret of secrets)
            if (text.includes(secret)) outcomes.push(`${route} as ${role} leaks a secret`);
          if (/"(password_hash|secret_hash|mqtt_secret_hash|passwordHash|secretHash)"/.test(text))
            outcomes.push(`${route} as ${role} serialises an internal hash field`);
        }
      }
      expect(outcomes).toEqual(expected);
      expect(calls).toBe(Object.keys(ACCESS_TABLE).length * (ROLES.length + 1));
    }, 120_000);

    it('bounds agencies’ users by jurisdiction on every route they may call, inside and outside', async () => {
      const outcomes: string[] = [];
      const expected: string[] = [];
      const leaks = (text: string) =>
        text.includes(ids.violation) || text.includes(imei) || text.includes(ids.ownerPerson);
      for (const [route, rule] of Object.entries(ACCESS_TABLE)) {
        if (typeof rule.access === 'string') continue;
        for (const role of AGENCY_ROLES) {
          if (!rule.access.includes(role)) continue;
          for (const side of ['in', 'out'] as const) {
            const token = tokens.get(side === 'in' ? role : `out:${role}`)!;
            let verdict: string;
            let want: string;
            if (rule.jurisdiction === 'subject' && isWrite(route)) {
              // A valid step on the Loreto violation: refused outside before anything changes; done inside.
              const body = route.endsWith('/dispatch')
                ? { reference: 'OP-LOR-2026-0001' }
                : route.endsWith('/resolve')
                  ? { resolution: 'interdiction' }
                  : route.endsWith('/resolve/reject')
                    ? { notes: 'access table' }
                    : {};
              const { status } = await call(route, token, {
                path: route.slice(route.indexOf(' ') + 1).replace(':id', ids.violation),
                body,
              });
              // Deciding on a false-positive proposal: inside, access is granted and there is nothing pending (404).
              const decision = route.endsWith('/resolve/confirm') || route.endsWith('/resolve/reject');
              verdict =
                status === 403
                  ? 'refused'
                  : status === 200 || (decision && status === 404)
                    ? 'done'
                    : `status ${status}`;
              want = side === 'in' ? 'done' : 'refused';
            } else {
              const { status, text } = await call(route, token);
              if (rule.jurisdiction === 'subject') {
                verdict = status === 403 ? 'refused' : status === 200 ? 'shown' : `status ${status}`;
                want = side === 'in' ? 'shown' : 'refused';
              } else if (rule.jurisdiction === 'filtered') {
                verdict =
                  status !== 200 ? `status ${status}` : leaks(text) ? 'includes Loreto' : 'without Loreto';
                want = side === 'in' ? 'includes Loreto' : 'without Loreto';
              } else {
                // national, live, self: the same answer on both sides.
                verdict = status === 200 ? 'answered' : `status ${status}`;
                want = 'answered';
              }
            }
            outcomes.push(`${route} as ${role} ${side}: ${verdict}`);
            expected.push(`${route} as ${role} ${side}: ${want}`);
          }
        }
      }
      expect(outcomes).toEqual(expected);
    }, 120_000);

    it('asks agencies’ users for a case reference on audited reads, with a field message', async () => {
      for (const [route, rule] of Object.entries(ACCESS_TABLE)) {
        if (typeof rule.access === 'string') continue;
        for (const role of ROLES) {
          if (!rule.access.includes(role)) continue;
          const { status, body } = await call(route, tokens.get(role), { reference: false });
          const needed = rule.reference === true && AGENCY_ROLES.includes(role);
          if (needed) {
            expect([route, role, status]).toEqual([route, role, 400]);
            expect((body as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('reference');
          } else expect([route, role, status === 400 && !isWrite(route)]).toEqual([route, role, false]);
        }
      }
    }, 120_000);

    it('records each audited read with the actor, the route, the subject and the reference; admins and auditors list them', async () => {
      const officer = tokens.get('enforcement_officer')!;
      const reference = `CASE-${randomUUID().slice(0, 8)}`;
      expect(
        (await api.get(`/v1/violations/${ids.violation}/evidence?reference=${reference}`, officer)).status,
      ).toBe(200);
      for (const reader of [api.adminToken, tokens.get('auditor')!]) {
        const listed = await api.get(`/v1/audit?action=read.&entityId=${ids.violation}`, reader);
        expect(listed.status).toBe(200);
        expect(listed.body.items).toContainEqual(
          expect.objectContaining({
            action: 'read.evidence',
            entityType: 'violation',
            entityId: ids.violation,
            actor: expect.objectContaining({ username: `officer.lor.${mode}` }),
            after: expect.objectContaining({ route: 'GET /v1/violations/:id/evidence', reference }),
          }),
        );
      }
      const area = await api.post(
        `/v1/violations/area-query?reference=${reference}`,
        { polygon: square(-14, -75, -3, -68), from: from.toISOString(), to: to.toISOString() },
        officer,
      );
      expect(area.body.machines.map((m: { imei: string }) => m.imei)).toEqual([imei]);
      const positions = await api.get(`/v1/audit?action=read.positions&entityId=${ids.machine}`);
      expect(positions.body.items[0]).toMatchObject({ entityType: 'machine', after: { reference } });
      expect((await api.get('/v1/audit?action=read.', officer)).status).toBe(403);
      const bad = await api.get(`/v1/violations/${ids.violation}/evidence?reference=%01x`, officer);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('reference');
    });

    it('records every read the table marks as audited, with its route and reference', async () => {
      const audited = Object.entries(ACCESS_TABLE).filter(([, rule]) => rule.reference === true);
      expect(audited.map(([route]) => route).sort()).toEqual([
        'GET /v1/owners',
        'GET /v1/owners/:id',
        'GET /v1/violations/:id/evidence',
        'GET /v1/violations/:id/export',
        'POST /v1/violations/area-query',
      ]);
      const officer = tokens.get('enforcement_officer')!;
      for (const [route] of audited) {
        const since = new Date().toISOString();
        const { status } = await call(route, officer);
        expect([route, status]).toEqual([route, 200]);
        const entries = await api.get(
          `/v1/audit?action=read.&actor=officer.lor.${mode}&from=${encodeURIComponent(since)}&pageSize=200`,
        );
        expect(entries.body.items).toContainEqual(
          expect.objectContaining({
            actor: expect.objectContaining({ username: `officer.lor.${mode}` }),
            after: expect.objectContaining({ route, reference: REFERENCE, role: 'enforcement_officer' }),
          }),
        );
      }
    });

    it('shows a natural person’s document and contacts only to the registry, the auditor and prosecutors', async () => {
      const masked = `${dni[0]}xxxxx${dni.slice(-2)}`;
      const of = async (token: string) =>
        (await api.get(`/v1/owners/${ids.ownerPerson}?reference=${REFERENCE}`, token)).body;
      expect(await of(tokens.get('enforcement_officer')!)).toMatchObject({
        documentNumber: masked,
        email: null,
        phone: null,
        address: null,
        withheld: ['documentNumber', 'email', 'phone', 'address'],
      });
      for (const whole of ['prosecutor', 'auditor', 'registry_clerk', 'admin'])
        expect(await of(tokens.get(whole)!)).toMatchObject({ documentNumber: dni, phone: '+51 965 000 111' });
      const machine = await api.get(`/v1/machines/${ids.machine}`, tokens.get('out:enforcement_officer'));
      expect(machine.body.owner.documentNumber).toBe(masked);
      const history = await api.get(`/v1/machines/${ids.machine}/history`, tokens.get('enforcement_officer'));
      expect(history.body.owners[0].documentNumber).toBe(masked);
      const evidence = await api.get(
        `/v1/violations/${ids.violation}/evidence?reference=${REFERENCE}`,
        tokens.get('agency_integration'),
      );
      expect(evidence.body.owner.documentNumber).toBe(masked);
      const forProsecutor = await api.get(
        `/v1/violations/${ids.violation}/evidence?reference=${REFERENCE}`,
        tokens.get('prosecutor'),
      );
      expect(forProsecutor.body.owner.documentNumber).toBe(dni);
      // A company's RUC is public.
      const company = await api.get(`/v1/machines/${ids.mddMachine}`, tokens.get('enforcement_officer'));
      expect(company.body.owner.documentNumber).toMatch(/^20\d{9}$/);
      // Machines are looked up by a person's document only by who may see it, by a company's RUC by anyone.
      const byPerson = await api.get(`/v1/machines?ownerDocument=${dni}`, tokens.get('enforcement_officer'));
      expect(byPerson.status).toBe(403);
      const byProsecutor = await api.get(`/v1/machines?ownerDocument=${dni}`, tokens.get('prosecutor'));
      expect(byProsecutor.body.items.map((m: { id: string }) => m.id)).toEqual([ids.machine]);
      const byCompany = await api.get(
        `/v1/machines?ownerDocument=${company.body.owner.documentNumber}`,
        tokens.get('enforcement_officer'),
      );
      expect(byCompany.body.items.map((m: { id: string }) => m.id)).toEqual([ids.mddMachine]);
    });

    it('never serialises an agency’s internals', async () => {
      const agencies = await api.get('/v1/agencies', tokens.get('out:agency_integration'));
      expect(agencies.status).toBe(200);
      for (const row of agencies.body)
        expect(Object.keys(row).sort()).toEqual(['code', 'createdAt', 'department', 'id', 'kind', 'name']);
    });

    it('keeps the auditor outside every agency', async () => {
      const me = await api.get('/v1/auth/me', tokens.get('auditor'));
      expect(me.body.role).toBe('auditor');
      const created = await api.post('/v1/users', {
        username: `auditor.agency.${mode}`,
        displayName: 'x',
        password: PASSWORD,
        role: 'auditor',
        agencyId: ids.loretoAgency,
      });
      expect(created.status).toBe(422);
      expect(created.body.errors[0].field).toBe('agencyId');
    });
  },
);
