import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestApi, startTestApi } from '../support/api';
import { createMachine, createOwner, createTracker } from '../support/factories';
import { rawRequest, RawRequest, RawResponse } from '../support/raw-http';

/**
 * Every route of the registry API (read from the router, so a new route is fuzzed without touching this file),
 * signed in as an administrator and not signed in, receives the same seeded set of hostile requests: oversized and
 * aborted bodies, wrong content types, charsets and encodings, broken and deeply nested JSON, huge numbers, NUL
 * bytes and control characters in every field, invalid UTF-8, long and non-ASCII headers and tokens, path
 * parameters that are not UUIDs, query strings with arrays and objects. None may answer 5xx; every 4xx has the
 * API's error shape.
 */

/** Fixed, so every run sends the same requests; HTTP_FUZZ_SEED explores others. */
const SEED = Number(process.env['HTTP_FUZZ_SEED'] ?? 18_005);
const HOOK_SECRET = 'broker-hook-secret-for-the-fuzz-0123456789';

interface Route {
  readonly method: string;
  /** Express path, `/v1/machines/:id`. */
  readonly path: string;
}

interface OpenApiSchema {
  readonly type?: string;
  readonly properties?: Record<string, OpenApiSchema>;
  readonly items?: OpenApiSchema;
  readonly enum?: unknown[];
  readonly example?: unknown;
  readonly $ref?: string;
  readonly allOf?: OpenApiSchema[];
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
      }
    >
  >;
  readonly components?: { schemas?: Record<string, OpenApiSchema> };
}

interface Case {
  readonly name: string;
  readonly request: RawRequest;
  /** An aborted upload cannot be answered: only the server's survival is checked. */
  readonly answerExpected: boolean;
}

interface Outcome {
  readonly route: string;
  readonly caseName: string;
  readonly signedIn: boolean;
  readonly response: RawResponse;
}

/** Every route the app's router serves, from Express's own route table. */
function routesOf(api: TestApi): Route[] {
  const instance = api.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  const routes: Route[] = [];
  for (const layer of instance.router.stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}

/** A plausible JSON value for a schema (its example where there is one), for field-by-field mutation. */
function plausible(schema: OpenApiSchema | undefined, document: OpenApiDocument, depth = 0): unknown {
  if (!schema || depth > 6) return 'x';
  if (schema.$ref) return plausible(resolve(schema.$ref, document), document, depth + 1);
  if (schema.allOf?.[0]) return plausible(schema.allOf[0], document, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  if (schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties).map(([key, child]) => [key, plausible(child, document, depth + 1)]),
    );
  }
  switch (schema.type) {
    case 'array':
      return [plausible(schema.items, document, depth + 1)];
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'object':
      return {};
    default:
      return 'x';
  }
}

function resolve(ref: string, document: OpenApiDocument): OpenApiSchema | undefined {
  return document.components?.schemas?.[ref.replace('#/components/schemas/', '')];
}

/** Dotted paths of every leaf of a plausible body. */
function leaves(value: unknown, prefix: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...prefix, String(i)]));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...prefix, k]));
  return prefix.length > 0 ? [prefix] : [];
}

function withLeaf(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value))
    return value.map((v, i) => (String(i) === head ? withLeaf(v, rest, replacement) : v));
  const object = value as Record<string, unknown>;
  return { ...object, [head]: withLeaf(object[head], rest, replacement) };
}

/** Values a hostile client puts in a field: every type but the right one, and the right type at its worst. */
const HOSTILE_VALUES: ReadonlyArray<readonly [string, unknown]> = [
  ['nul', 'ab\u0000cd'],
  ['escape', '\u001b[31mred'],
  ['unpaired surrogate', 'x\ud800y'],
  ['long string', 'ñ'.repeat(100_000)],
  ['emoji', '🦺🚜'],
  ['empty', ''],
  ['huge number', 1e308],
  ['negative huge', -1e308],
  ['tiny', 5e-324],
  ['huge integer text', '9'.repeat(400)],
  ['null', null],
  ['boolean', true],
  ['array', ['a', 1, null]],
  ['object', { $gt: 1, __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }],
  ['date-like', '0000-00-00T25:61:61Z'],
  ['uuid-like', '00000000-0000-0000-0000-000000000000'],
];

/** Bodies that break JSON itself, or nest deeper than anyone needs. */
const BROKEN_JSON: ReadonlyArray<readonly [string, Buffer]> = [
  ['truncated', Buffer.from('{"a":')],
  ['trailing', Buffer.from('{"a":1}}')],
  ['not json', Buffer.from('nul')],
  ['bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
  [
    'invalid utf-8',
    Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]),
  ],
  ['nested arrays', Buffer.from('['.repeat(50_000) + ']'.repeat(50_000))],
  ['nested objects', Buffer.from('{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000))],
  ['huge exponent', Buffer.from('{"limit":1e400,"lat":-1e400,"from":1e999}')],
  ['long number', Buffer.from(`{"n":${'9'.repeat(200_000)}}`)],
  ['escaped nul', Buffer.from('{"username":"a\\u0000b","password":"\\u0000"}')],
  ['proto', Buffer.from('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}')],
  ['scalar', Buffer.from('42')],
  ['array', Buffer.from('[1,2,3]')],
  ['null', Buffer.from('null')],
];

const RANDOM_UUID = '9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e';

/** Path parameter values: none of them a UUID of anything that exists. */
const HOSTILE_PARAMS: ReadonlyArray<readonly [string, string]> = [
  ['not a uuid', 'not-a-uuid'],
  ['random uuid', '9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e'],
  ['bad percent-encoding', '%E0%A4%A'],
  ['lone percent', '%'],
  ['nul', 'a%00b'],
  ['overlong utf-8', '%C0%AF'],
  ['traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['long', 'a'.repeat(4_000)],
  ['number', '1e400'],
  ['non-ascii', '%F0%9F%9A%9C'],
];

/** Query strings with arrays, objects, bad encoding and huge values. */
const HOSTILE_QUERIES: ReadonlyArray<readonly [string, string]> = [
  ['arrays', 'limit=1&limit=2&offset[]=3&from=a&from=b'],
  ['objects', 'limit[$gt]=1&filter[a][b][c]=1&status[]=open'],
  ['bad encoding', 'q=%E0%A4%A&from=%&to=%ZZ'],
  ['nul', 'q=a%00b&imei=%00&username=%00'],
  ['huge numbers', 'limit=1e400&offset=-1e400&lat=9e999&lon=NaN&from=99999999999999999999'],
  ['long', `q=${'a'.repeat(6_000)}`],
  ['proto', '__proto__[admin]=1&constructor[prototype][x]=1'],
];

/**
 * The kinds of hostile request. Those refused before anyone signs in (body reading, the router, headers) go
 * anonymous; those that reach validation go signed in (an anonymous one would stop at the 401).
 */
type Group =
  | 'size'
  | 'syntax'
  | 'charset'
  | 'encoding'
  | 'header'
  | 'path'
  | 'parsed'
  | 'type'
  | 'field'
  | 'random'
  | 'param'
  | 'query';
const PRE_AUTH: readonly Group[] = ['size', 'syntax', 'charset', 'encoding', 'header', 'path'];

/**
 * How many of each kind one route gets per pass, drawn with the seed; public routes get every one of them. Sized
 * so that the run (about 2,300 requests) stays under a minute on a loaded 2-core machine while each kind reaches
 * every route.
 */
const QUOTA: Readonly<Record<Group, number>> = {
  size: 1,
  syntax: 2,
  charset: 1,
  encoding: 2,
  header: 3,
  path: 1,
  parsed: 2,
  type: 2,
  field: 4,
  random: 1,
  param: 3,
  query: 2,
};

interface GroupedCase extends Case {
  readonly group: Group;
}

/** Every hostile request for one route, by kind; `token` signs them in. */
function casesFor(
  route: Route,
  document: OpenApiDocument,
  rng: () => number,
  token: string | undefined,
  existing: Readonly<Record<string, string>>,
): GroupedCase[] {
  const auth: Array<[string, string | Buffer]> = token ? [['Authorization', `Bearer ${token}`]] : [];
  // By default the first path parameter names a record that exists (an owner for /v1/owners/:id...), so that
  // hostile bodies and queries reach the services, not only a 404.
  const path = (value?: string) => {
    let first = true;
    return route.path.replace(/:[A-Za-z]+/g, () => {
      const id = value ?? (first ? (existing[route.path.split('/')[2] ?? ''] ?? RANDOM_UUID) : RANDOM_UUID);
      first = false;
      return id;
    });
  };
  const json = (body: Buffer, extra: Array<[string, string | Buffer]> = []): RawRequest => ({
    method: route.method,
    target: path(),
    headers: [...auth, ['Content-Type', 'application/json'], ...extra],
    body,
  });
  const cases: GroupedCase[] = [];
  const add = (group: Group, name: string, request: RawRequest, answerExpected = true) =>
    cases.push({ group, name, request, answerExpected });

  // Bodies (sent to every method: a body where none is expected must not break a route either).
  add('size', 'oversized json', json(OVERSIZED_JSON));
  if (route.path.endsWith('/import'))
    add('size', 'oversized csv', {
      ...json(OVERSIZED_CSV),
      headers: [...auth, ['Content-Type', 'text/csv']],
    });
  add(
    'size',
    'length larger than the limit, aborted',
    { ...json(Buffer.from('{"a":1')), contentLength: 500_000_000, abortAfter: 6 },
    false,
  );
  add(
    'size',
    'aborted body',
    { ...json(Buffer.from('{"a":"xxxxxxxx"}')), contentLength: 100, abortAfter: 8 },
    false,
  );
  add('size', 'gzip bomb', json(GZIP_BOMB, [['Content-Encoding', 'gzip']]));
  for (const [name, body] of BROKEN_JSON)
    add(name in PARSEABLE ? 'parsed' : 'syntax', `json: ${name}`, json(body));
  add(
    'syntax',
    'utf-16 charset, utf-8 bytes',
    json(Buffer.from('{"a":1}'), [['Content-Type', 'application/json; charset=utf-16']]),
  );
  add('syntax', 'chunked, broken', {
    method: route.method,
    target: path(),
    headers: [...auth, ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']],
    body: Buffer.from('zz\r\n{}\r\n0\r\n\r\n'),
    contentLength: undefined,
  });
  add(
    'charset',
    'unknown charset',
    json(Buffer.from('{}'), [['Content-Type', 'application/json; charset=klingon']]),
  );
  add(
    'charset',
    'latin1 charset',
    json(Buffer.from('{"a":"\xf1"}', 'latin1'), [['Content-Type', 'application/json; charset=iso-8859-1']]),
  );
  add('charset', 'csv in utf-32', {
    ...json(Buffer.from('a,b')),
    headers: [...auth, ['Content-Type', 'text/csv; charset=utf-32']],
  });
  add('encoding', 'unsupported encoding', json(Buffer.from('{}'), [['Content-Encoding', 'compress']]));
  add('encoding', 'bad gzip', json(Buffer.from('definitely not gzip'), [['Content-Encoding', 'gzip']]));
  add('encoding', 'bad brotli', json(Buffer.from([0xff, 0xff, 0xff, 0xff]), [['Content-Encoding', 'br']]));
  add('encoding', 'two encodings', json(Buffer.from('{}'), [['Content-Encoding', 'gzip, identity']]));
  add('type', 'malformed content type', json(Buffer.from('{}'), [['Content-Type', ';;;/=;charset']]));
  for (const type of [
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/csv',
  ]) {
    add('type', `content type ${type}`, {
      ...json(Buffer.from('{"a":1}\r\n--x--\r\na,b\r\n1,2')),
      headers: [...auth, ['Content-Type', type]],
    });
  }
  add('type', 'no content type', { ...json(Buffer.from('{"a":1}')), headers: auth });

  // Field by field: each leaf of a plausible body replaced by a hostile value.
  const operation = document.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  const base = schema ? plausible(schema, document) : (UNDOCUMENTED_BODIES[route.path] ?? {});
  const fields = leaves(base);
  for (const [name, hostile] of HOSTILE_VALUES) {
    const field = fields.length > 0 ? fields[Math.floor(rng() * fields.length)]! : [];
    add(
      'field',
      `field ${field.join('.') || 'body'}: ${name}`,
      json(Buffer.from(JSON.stringify(withLeaf(base, field, hostile)))),
    );
  }
  add('field', 'whole plausible body', json(Buffer.from(JSON.stringify(base))));
  const randomBodies = fc.sample(fc.jsonValue({ maxDepth: 4 }), {
    seed: Math.floor(rng() * 2 ** 31),
    numRuns: 4,
  });
  randomBodies.forEach((body, i) =>
    add('random', `random json ${i}`, json(Buffer.from(JSON.stringify(body)))),
  );

  // Path parameters, query strings.
  if (route.path.includes(':'))
    for (const [name, value] of HOSTILE_PARAMS)
      add('param', `param: ${name}`, { ...json(Buffer.from('{}')), target: path(value) });
  for (const [name, query] of HOSTILE_QUERIES)
    add('query', `query: ${name}`, { ...json(Buffer.from('{}')), target: `${path()}?${query}` });
  add('path', 'bad percent-encoding in the path itself', {
    ...json(Buffer.from('{}')),
    target: `${path()}%E0%A4%A`,
  });

  // Headers and tokens.
  const noAuth = (headers: Array<[string, string | Buffer]>): RawRequest => ({
    method: route.method,
    target: path(),
    headers: [['Content-Type', 'application/json'], ...headers],
    // A valid body: what the header does is then what the route answers.
    body: Buffer.from(JSON.stringify(base)),
  });
  add(
    'header',
    'non-ascii bearer (utf-8)',
    noAuth([['Authorization', Buffer.from(`Bearer ${'ñ'.repeat(21)}`, 'utf8')]]),
  );
  add(
    'header',
    'non-ascii bearer as long as the hook secret',
    noAuth([['Authorization', Buffer.from(`Bearer ${'é'.repeat(HOOK_SECRET.length)}`, 'latin1')]]),
  );
  add(
    'header',
    'non-ascii bearer, latin1 bytes',
    noAuth([['Authorization', Buffer.from('Bearer \xff\xfe\xfd', 'latin1')]]),
  );
  add(
    'header',
    'control byte in a header',
    noAuth([['Authorization', Buffer.from([0x42, 0x65, 0x01, 0x00, 0x72])]]),
  );
  add('header', 'long token', noAuth([['Authorization', `Bearer ${'a'.repeat(12_000)}`]]));
  add('header', 'headers too large', noAuth([['X-Padding', 'p'.repeat(20_000)]]));
  add('header', 'basic scheme', noAuth([['Authorization', 'Basic YWRtaW46YWRtaW4=']]));
  add(
    'header',
    'token with alg none',
    noAuth([
      [
        'Authorization',
        `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`,
      ],
    ]),
  );
  add('header', 'token tampered', noAuth([['Authorization', `Bearer ${token ?? 'x.y.z'}x`]]));
  add(
    'header',
    'two authorization headers',
    noAuth([
      ['Authorization', 'Bearer a'],
      ['Authorization', `Bearer ${token ?? 'b'}`],
    ]),
  );
  add('header', 'bad content-length', { ...noAuth([]), contentLength: -5 });
  add(
    'header',
    'non-ascii in another header',
    noAuth([
      ['Accept-Language', Buffer.from('ñañá', 'utf8')],
      ['X-Request-Id', Buffer.from([0xc3, 0x28])],
    ]),
  );
  add('header', 'bad percent-encoding in the bearer', noAuth([['Authorization', 'Bearer %E0%A4%A%00']]));
  return cases;
}

/** Valid bodies of the routes left out of the OpenAPI document (EMQX's hooks), so that their fields are fuzzed too. */
const UNDOCUMENTED_BODIES: Readonly<Record<string, unknown>> = {
  '/v1/broker/emqx/authenticate': {
    clientid: '356938035643809',
    username: '356938035643809',
    password: 'secret',
  },
  '/v1/broker/emqx/authorize': {
    clientid: '356938035643809',
    username: '356938035643809',
    topic: 'devices/356938035643809/fixes',
    action: 'publish',
  },
};

/** Just over the limits of JSON (1 MB) and CSV (10 MB) bodies. */
const OVERSIZED_JSON = Buffer.from(`{"a":"${'x'.repeat(1_100_000)}"}`);
const OVERSIZED_CSV = Buffer.alloc(10_500_000, 'a');

/** 3 MB of JSON in 3 kB of gzip: inflated only up to the body limit. */
const GZIP_BOMB = gzipSync(Buffer.from(`{"a":"${' '.repeat(3_000_000)}"}`));

/** Broken JSON bodies that still parse (and so reach validation). */
const PARSEABLE: Readonly<Record<string, true>> = {
  bom: true,
  'invalid utf-8': true,
  'huge exponent': true,
  'long number': true,
  'escaped nul': true,
  proto: true,
  scalar: true,
  array: true,
  null: true,
};

/**
 * The requests of one pass over a route: anonymous, the kinds refused before signing in; signed in, those that
 * reach validation; a public route (it answers an anonymous request with something else than 401) gets every kind
 * in full anonymously.
 */
function selectCases(
  cases: GroupedCase[],
  signedIn: boolean,
  isPublic: boolean,
  rng: () => number,
): GroupedCase[] {
  if (!signedIn && isPublic) return cases;
  const wanted = cases.filter((c) => PRE_AUTH.includes(c.group) !== signedIn);
  const chosen: GroupedCase[] = [];
  for (const group of new Set(wanted.map((c) => c.group))) {
    const pool = wanted.filter((c) => c.group === group);
    for (let i = 0; i < QUOTA[group] && pool.length > 0; i++)
      chosen.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]!);
  }
  return chosen;
}

describe('HTTP fuzz: every route, hostile input, no 5xx', () => {
  let api: TestApi;
  let port: number;
  /** A record of each kind, by the first segment after /v1/ of the routes that take its id. */
  const existing: Record<string, string> = {};

  beforeAll(async () => {
    api = await startTestApi('embedded', {
      BROKER_HOOK_SECRET: HOOK_SECRET,
      // The fuzz signs in failing many times from one address; that limit has its own test.
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
    });
    const owner = await createOwner(api);
    existing['owners'] = owner.id;
    existing['machines'] = (await createMachine(api, owner.id)).id;
    existing['trackers'] = (await createTracker(api)).id;
    const agency = await api.post('/v1/agencies', { code: 'FUZZ-AG', name: 'Fuzz agency', kind: 'other' });
    expect(agency.status).toBe(201);
    existing['agencies'] = agency.body.id as string;
    const clerk = await api.post('/v1/users', {
      username: 'fuzz-clerk',
      displayName: 'Fuzz clerk',
      password: 'a-long-enough-password',
      role: 'registry_clerk',
    });
    expect(clerk.status).toBe(201);
    existing['users'] = clerk.body.id as string;
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => api.close());

  it('answers every hostile request to every route with a 4xx in the error shape (or a 2xx), never a 5xx', async () => {
    const started = Date.now();
    const routes = routesOf(api);
    expect(routes.length).toBeGreaterThan(60);
    const document = (await api.http().get('/docs/openapi.json').expect(200)).body as OpenApiDocument;
    // Every documented operation is among the routes fuzzed (the router is the source; this proves it is whole).
    const routeKeys = new Set(routes.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    for (const [path, operations] of Object.entries(document.paths))
      for (const method of Object.keys(operations))
        expect(routeKeys).toContain(`${method.toUpperCase()} ${path}`);

    const rng = seeded(SEED);
    const outcomes: Outcome[] = [];
    const concurrency = 4;
    const jobs: Array<() => Promise<void>> = [];
    for (const route of routes) {
      const probe = await rawRequest(port, {
        method: route.method,
        target: route.path.replace(/:[A-Za-z]+/g, 'x'),
        headers: [],
      });
      const isPublic = probe.status !== 401;
      for (const token of [undefined, api.adminToken]) {
        for (const c of selectCases(
          casesFor(route, document, rng, token, existing),
          token !== undefined,
          isPublic,
          rng,
        )) {
          jobs.push(async () => {
            const response = await rawRequest(port, c.request);
            if (c.answerExpected || response.status !== undefined)
              outcomes.push({
                route: `${route.method} ${route.path}`,
                caseName: c.name,
                signedIn: token !== undefined,
                response,
              });
          });
        }
      }
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      }),
    );

    const serverErrors = outcomes.filter((o) => o.response.status === undefined || o.response.status >= 500);
    const badShape = outcomes.filter((o) => {
      const status = o.response.status ?? 0;
      if (status < 400 || status >= 500) return false;
      try {
        const body = JSON.parse(o.response.body.toString('utf8')) as Record<string, unknown>;
        return !(
          body['statusCode'] === status &&
          typeof body['error'] === 'string' &&
          typeof body['message'] === 'string'
        );
      } catch {
        return true;
      }
    });
    const byStatus = new Map<number | string, number>();
    for (const o of outcomes)
      byStatus.set(o.response.status ?? 'none', (byStatus.get(o.response.status ?? 'none') ?? 0) + 1);
    const describe = (o: Outcome) =>
      `${o.response.status ?? 'no answer'} ${o.route} [${o.signedIn ? 'admin' : 'anonymous'}] ${o.caseName}: ${o.response.body.toString('utf8').slice(0, 160)}`;
    console.log(
      `HTTP fuzz (seed ${SEED}): ${jobs.length} requests to ${routes.length} routes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${outcomes.length} answered; 5xx or unanswered: ${serverErrors.length}; 4xx off the error shape: ${badShape.length}; ` +
        `by status: ${[...byStatus]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(', ')}`,
    );
    expect(serverErrors.map(describe)).toEqual([]);
    expect(badShape.map(describe)).toEqual([]);
  });
});

/** mulberry32: the same sequence for the same seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
