import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConfigError,
  InvalidValue,
  KeyDefinition,
  integer,
  oneOf,
  optionalPassword,
  optionalString,
  secret,
  stringWithDefault,
  url,
} from './definitions';

export const CONFIG_KEYS = {
  nodeEnv: oneOf('NODE_ENV', 'Runtime environment.', ['development', 'production', 'test'], 'development'),
  logLevel: oneOf('LOG_LEVEL', 'Log verbosity.', ['error', 'warn', 'log', 'debug', 'verbose'], 'log'),
  httpHost: stringWithDefault('HTTP_HOST', 'Address the registry API listens on.', '127.0.0.1'),
  httpPort: integer('HTTP_PORT', 'Port of the registry API (0 picks a free port).', 3000, 0, 65535),
  databaseUrl: url(
    'DATABASE_URL',
    'PostgreSQL connection string. Unset: embedded PostgreSQL (PGlite) persisted under DATA_DIR.',
    ['postgres:', 'postgresql:'],
  ),
  databasePoolSize: integer('DATABASE_POOL_SIZE', 'Connections in the PostgreSQL pool.', 10, 1, 200),
  redisUrl: url(
    'REDIS_URL',
    'Redis connection string for live machine state and sign-in failure counts. Unset: in memory.',
    ['redis:', 'rediss:'],
  ),
  mqttUrl: url(
    'MQTT_URL',
    'MQTT broker URL. Unset: embedded broker. Ingest consumes over mqtt:// or mqtts://; the other apps also take ws:// and wss://.',
    ['mqtt:', 'mqtts:', 'ws:', 'wss:'],
  ),
  mqttUsername: optionalString(
    'MQTT_USERNAME',
    'Service account of the apps on the external broker (Mosquitto: a dynamic-security admin).',
  ),
  mqttPassword: optionalString('MQTT_PASSWORD', 'Password of MQTT_USERNAME.'),
  brokerKind: oneOf(
    'BROKER_KIND',
    'External broker product, for device provisioning and revocation (ignored by the embedded broker).',
    ['mosquitto', 'emqx'],
    'mosquitto',
  ),
  ingestMqttConnections: integer(
    'INGEST_MQTT_CONNECTIONS',
    'Connections of one ingest instance to the external broker, in one shared-subscription group.',
    8,
    1,
    1024,
  ),
  ingestMqttInflight: integer(
    'INGEST_MQTT_INFLIGHT',
    'Messages each of those connections may hold unacknowledged (MQTT 5 Receive Maximum); with INGEST_MQTT_CONNECTIONS it bounds the messages waiting for a commit. The broker must allow as many (Mosquitto: max_inflight_messages 0; EMQX: mqtt.max_inflight).',
    1024,
    1,
    65535,
  ),
  ingestInstanceId: optionalString(
    'INGEST_INSTANCE_ID',
    'Stable name of this ingest instance: its broker client ids (centinela-ingest-<id>-<n>, persistent sessions) derive from it; give each instance of a deployment its own, the same at every restart (docker-compose.yml sets it). Unset: the host name, which changes whenever a container is recreated; the sessions of a former name are then drained (INGEST_SESSION_DRAIN).',
  ),
  ingestSessionDrain: oneOf(
    'INGEST_SESSION_DRAIN',
    'Whether ingest drains the broker sessions it used before and no instance consumes with any more (a smaller INGEST_MQTT_CONNECTIONS, another INGEST_INSTANCE_ID, an instance removed): it takes their messages through the pipeline and ends them. off: they keep their messages (and their share of new ones) until their client id connects again. The client ids are recorded in ingest_sessions either way.',
    ['on', 'off'],
    'on',
  ),
  ingestSessionLeaseSeconds: integer(
    'INGEST_SESSION_LEASE_SECONDS',
    'Lease an ingest instance holds on its broker sessions in ingest_sessions, renewed every third of it; the sessions of an instance that stopped are drained at once, those of one that was killed once its lease expired, in seconds.',
    60,
    3,
    3600,
  ),
  ingestDrainQuietMs: integer(
    'INGEST_DRAIN_QUIET_MS',
    'How long a session being drained must stay silent, everything it delivered acknowledged, to count as empty (after it is resumed, and again after its subscriptions are removed, before it is ended), in milliseconds.',
    2000,
    50,
    60000,
  ),
  ingestWriters: integer(
    'INGEST_WRITERS',
    "Concurrent writers of one ingest pipeline (the main thread's, or each worker thread's); each tracker's messages always go to the same one, in order. docker-compose.yml runs 1 in each of its 2 worker threads.",
    2,
    1,
    64,
  ),
  ingestWorkers: integer(
    'INGEST_WORKERS',
    'Worker threads of one ingest instance, each with INGEST_WRITERS writers for its share of the trackers (by IMEI); the main thread keeps the broker connections. 0: everything on the main thread. docker-compose.yml runs 2. Needs DATABASE_URL (the embedded database lives in one thread).',
    0,
    0,
    64,
  ),
  ingestBatchMax: integer(
    'INGEST_BATCH_MAX',
    'Most device messages stored in one transaction (group commit).',
    1000,
    1,
    10000,
  ),
  liveStateMax: integer(
    'LIVE_STATE_MAX',
    'Trackers whose live state one ingest instance keeps in memory; older ones are reloaded when they report.',
    100000,
    100,
    10000000,
  ),
  liveStateFlushMs: integer(
    'LIVE_STATE_FLUSH_MS',
    'How often changed live states are written to Redis, in milliseconds. Between two writes another instance (or a restart) replays the stored positions since the last one; each write serialises every state that changed (several kB per tracker).',
    120000,
    100,
    600000,
  ),
  ingestCountersFlushMs: integer(
    'INGEST_COUNTERS_FLUSH_MS',
    "How often an ingest process writes its counters (messages, fixes, rejections by reason, messages the database refused) to the database, where GET /v1/ingest/stats adds up every instance's, in milliseconds; also written when it stops. A process killed loses at most this much of its counts, never a fix.",
    5000,
    50,
    600000,
  ),
  redisKeyPrefix: stringWithDefault(
    'REDIS_KEY_PREFIX',
    'Prefix of every Redis key the product writes.',
    'centinela:',
  ),
  violationUpdateSeconds: integer(
    'VIOLATION_UPDATE_SECONDS',
    'Interval of violation.updated events while a machine stays in a zone (event time), in seconds.',
    900,
    60,
    86400,
  ),
  integrityLegalBasis: stringWithDefault(
    'INTEGRITY_LEGAL_BASIS',
    "Legal basis cited by tracker integrity alerts (went dark, power cut, tamper, jamming, spoofing), in Spanish. No norm creates the obligation of a tracker to keep reporting yet (D.L. N° 1107 does not): the default cites the registry's own obligation; set the norm once one exists.",
    'Obligación del Registro Nacional de Maquinaria Pesada: el rastreador GPS de una máquina inscrita debe permanecer instalado, energizado y reportando su posición real (obligación propia del registro, aún sin norma que la establezca)',
  ),
  integritySweepSeconds: integer(
    'INTEGRITY_SWEEP_SECONDS',
    'How often ingest sweeps the trackers it serves for those that went silent (went-dark alerts), in seconds.',
    60,
    1,
    3600,
  ),
  deviceClockMaxAgeHours: integer(
    'DEVICE_CLOCK_MAX_AGE_HOURS',
    "How far behind its receipt a fix's device time may be and still be trusted, in hours: fixes a tracker buffered without coverage arrive hours or days late. An older fix is stored, flagged clock, reported on the device's errors topic and opens no violation or integrity alert.",
    168,
    1,
    8760,
  ),
  deviceClockMaxAheadSeconds: integer(
    'DEVICE_CLOCK_MAX_AHEAD_SECONDS',
    "How far ahead of its receipt a fix's device time may be and still be trusted, in seconds. A fix further ahead is stored, flagged clock, reported on the device's errors topic and opens no violation or integrity alert.",
    300,
    0,
    86400,
  ),
  embeddedMqttHost: stringWithDefault(
    'MQTT_EMBEDDED_HOST',
    'Address the embedded broker listens on.',
    '127.0.0.1',
  ),
  embeddedMqttPort: integer(
    'MQTT_EMBEDDED_PORT',
    'Port of the embedded broker (0 picks a free port).',
    1884,
    0,
    65535,
  ),
  brokerHookSecret: optionalString(
    'BROKER_HOOK_SECRET',
    "Bearer token EMQX sends to the registry's authentication/authorization hooks. Unset: the hooks refuse every call.",
  ),
  emqxApiUrl: url(
    'EMQX_API_URL',
    'EMQX REST API base URL (e.g. http://emqx:18083/api/v5), to disconnect revoked devices.',
    ['http:', 'https:'],
    '(unset)',
  ),
  emqxApiKey: optionalString('EMQX_API_KEY', 'EMQX API key.'),
  emqxApiSecret: optionalString('EMQX_API_SECRET', 'EMQX API secret.'),
  dataDir: stringWithDefault(
    'DATA_DIR',
    "Directory of the embedded database, generated secrets, caches and the main job's log during its demo (centinela.log).",
    '.data',
  ),
  jwtSecret: secret('JWT_SECRET', 'Key that signs access tokens (HS256).', 32),
  jwtTtlSeconds: integer('JWT_TTL_SECONDS', 'Lifetime of an access token, in seconds.', 3600, 60, 86400),
  deviceSecretKey: secret(
    'DEVICE_SECRET_KEY',
    'Key of the HMAC-SHA256 that hashes device (tracker) secrets before they are stored.',
    32,
  ),
  adminUsername: stringWithDefault('ADMIN_USERNAME', 'Username of the first administrator.', 'admin'),
  adminPassword: optionalPassword(
    'ADMIN_PASSWORD',
    'Password of the first administrator, used only when no administrator exists yet; at least 12 characters (the start-up fails otherwise). Unset: generated; in embedded mode kept in DATA_DIR/secrets/admin-password, with DATABASE_URL printed once.',
  ),
  loginMaxFailuresPerAccount: integer(
    'LOGIN_MAX_FAILURES_PER_ACCOUNT',
    'Failed sign-ins one username may have within LOGIN_FAILURE_WINDOW_SECONDS; further attempts get 429 with Retry-After until the window ends (known and unknown usernames alike). A successful sign-in clears the count.',
    10,
    1,
    1000000,
  ),
  loginMaxFailuresPerAddress: integer(
    'LOGIN_MAX_FAILURES_PER_ADDRESS',
    'Failed sign-ins one client address (IPv6: its /64) may have within LOGIN_FAILURE_WINDOW_SECONDS, whatever the usernames; further attempts get 429 with Retry-After until the window ends.',
    50,
    1,
    1000000,
  ),
  loginFailureWindowSeconds: integer(
    'LOGIN_FAILURE_WINDOW_SECONDS',
    "Window of the sign-in failure counts, in seconds, from a count's first failure. With REDIS_URL the counts are shared by every registry API instance; without it each instance keeps its own in memory.",
    900,
    1,
    86400,
  ),
  httpTrustProxyHops: integer(
    'HTTP_TRUST_PROXY_HOPS',
    "Reverse proxies in front of the registry API whose X-Forwarded-For is trusted for the client's address (sign-in limits per address). 0: the address of the connection.",
    0,
    0,
    10,
  ),
  zoneCatalogueSeed: oneOf(
    'ZONE_CATALOGUE_SEED',
    'Catalogue loaded when the database has none: "default" imports the Peru layers of GEODATA_DIR, "none" starts empty.',
    ['default', 'none'],
    'default',
  ),
  geofenceCacheDir: optionalString(
    'GEOFENCE_CACHE_DIR',
    'Directory of the built geofence indexes, one file per catalogue version. Unset: DATA_DIR/geofence-cache.',
  ),
  geodataDir: stringWithDefault(
    'GEODATA_DIR',
    'Directory of the GeoJSON layers of the default zone catalogue.',
    'data/peru',
  ),
  registryNumberPrefix: stringWithDefault(
    'REGISTRY_NUMBER_PREFIX',
    'Prefix of the registry numbers issued to machines (PREFIX-YEAR-NNNNNN).',
    'MAQ',
  ),
  dispatchPollMs: integer(
    'DISPATCH_POLL_MS',
    'How often a dispatcher looks for new work while change notifications cannot reach it (its listening connection is lost), in milliseconds; otherwise it wakes when work is written and when a retry or escalation falls due.',
    500,
    10,
    60000,
  ),
  dispatchBatchSize: integer(
    'DISPATCH_BATCH_SIZE',
    'Outbox events or deliveries a dispatcher claims at a time.',
    50,
    1,
    1000,
  ),
  dispatchLeaseSeconds: integer(
    'DISPATCH_LEASE_SECONDS',
    'Lease of a claimed delivery: another dispatcher instance takes it over when the lease expires unfinished, in seconds.',
    60,
    1,
    3600,
  ),
  dispatchWebhookTimeoutMs: integer(
    'DISPATCH_WEBHOOK_TIMEOUT_MS',
    'Time an agency webhook has to answer one delivery, in milliseconds.',
    10000,
    100,
    120000,
  ),
  dispatchRetryInitialMs: integer(
    'DISPATCH_RETRY_INITIAL_MS',
    'Delay before the second attempt of a failed delivery (doubling after each failure, with jitter), in milliseconds.',
    10000,
    10,
    3600000,
  ),
  dispatchRetryMaxMs: integer(
    'DISPATCH_RETRY_MAX_MS',
    'Longest delay between two attempts of a delivery, in milliseconds.',
    3600000,
    100,
    86400000,
  ),
  dispatchRetryWindowSeconds: integer(
    'DISPATCH_RETRY_WINDOW_SECONDS',
    'How long a failing delivery is retried before it goes to the dead-letter list, in seconds.',
    86400,
    1,
    2592000,
  ),
  dispatchEscalationSeconds: integer(
    'DISPATCH_ESCALATION_SECONDS',
    'Time a violation may stay unacknowledged before it is escalated to the next level (and again after each escalation), in seconds.',
    1800,
    1,
    604800,
  ),
  webhookAllowedHosts: optionalString(
    'WEBHOOK_ALLOWED_HOSTS',
    'Comma-separated host names or IP literals an agency webhook may point at although they are not public, over http or https (receivers in development and tests, e.g. 127.0.0.1,localhost). Other webhooks must use https to public addresses, checked at registration and at every delivery.',
  ),
  evidenceSigningKey: optionalString(
    'EVIDENCE_SIGNING_KEY',
    'Ed25519 private key that signs evidence exports and anchors: PEM (PKCS#8), or its DER in base64 on one line. Never stored in the database.',
  ),
  evidenceSigningKeyFile: optionalString(
    'EVIDENCE_SIGNING_KEY_FILE',
    'File holding that key (PEM). Unset, with EVIDENCE_SIGNING_KEY unset too: in embedded mode DATA_DIR/secrets/evidence-signing-key.pem, generated once (0600); with DATABASE_URL the registry API and the dispatcher refuse to start.',
  ),
  evidenceAnchorIntervalSeconds: integer(
    'EVIDENCE_ANCHOR_INTERVAL_SECONDS',
    'How often the dispatcher publishes the heads of the evidence chains to every agency as a signed evidence.anchor event (only when a head moved), in seconds. 0: never (the test suites, whose receivers count what they get).',
    3600,
    0,
    604800,
  ),
  dispatchUpdateIntervalSeconds: integer(
    'DISPATCH_UPDATE_INTERVAL_SECONDS',
    'Least time between two *.updated events of one alert sent to the agencies, unless its severity changed (opened, closed, retracted and escalated events always go), in seconds.',
    900,
    0,
    86400,
  ),
  areaQueryMaxVertices: integer(
    'AREA_QUERY_MAX_VERTICES',
    'Most vertices of the polygon of one area query (POST /v1/violations/area-query); a larger one is answered 400.',
    5000,
    4,
    1000000,
  ),
  areaQueryMaxAreaKm2: integer(
    'AREA_QUERY_MAX_AREA_KM2',
    'Largest bounding box of one area query (drawn polygon or zone), in square kilometres; a larger one is answered 400 (Peru: about 1.3 million km²; the bounding box of Loreto, its largest department: about 650,000 km²).',
    1000000,
    1,
    100000000,
  ),
  areaQueryMaxDays: integer(
    'AREA_QUERY_MAX_DAYS',
    'Longest period (to - from) of one area query, in days; a longer one is answered 400.',
    92,
    1,
    3660,
  ),
  areaQueryTimeoutMs: integer(
    'AREA_QUERY_TIMEOUT_MS',
    "Time one area query may take: the database's statement_timeout of its read and the time its worker thread may take to test the fixes against the polygon, in milliseconds; a query that takes longer is answered 422.",
    20000,
    100,
    600000,
  ),
  areaQueryInlineWork: integer(
    'AREA_QUERY_INLINE_WORK',
    "Fixes × polygon vertices up to which an area query tests its fixes on the request thread (a few milliseconds); above, on a worker thread, so the API keeps answering meanwhile.",
    2000000,
    0,
    1000000000,
  ),
  zoneImportMaxFeatures: integer(
    'ZONE_IMPORT_MAX_FEATURES',
    'Most features of one layer imported through POST /v1/zones/import; a larger layer is answered 400.',
    20000,
    1,
    1000000,
  ),
  zoneImportMaxVertices: integer(
    'ZONE_IMPORT_MAX_VERTICES',
    'Most vertices of one layer imported through the API, all features together; a larger layer is answered 400.',
    1000000,
    4,
    100000000,
  ),
  zoneImportMaxFeatureVertices: integer(
    'ZONE_IMPORT_MAX_FEATURE_VERTICES',
    'Most vertices of one feature of a layer imported through the API; a layer with a larger feature is answered 400 (the largest shipped feature has about 16,000).',
    100000,
    4,
    100000000,
  ),
  zoneImportTimeoutSeconds: integer(
    'ZONE_IMPORT_TIMEOUT_SECONDS',
    "Time one zone import job may take to check and repair its layer on its worker thread (and each of its SQL statements), in seconds; a job that takes longer fails with status failed and the reason.",
    600,
    1,
    86400,
  ),
} as const;

type Parsed<K> = K extends KeyDefinition<infer T> ? T : never;
type RawConfig = { readonly [K in keyof typeof CONFIG_KEYS]: Parsed<(typeof CONFIG_KEYS)[K]> };

export interface AppConfig extends Omit<
  RawConfig,
  'jwtSecret' | 'deviceSecretKey' | 'geofenceCacheDir' | 'ingestInstanceId' | 'evidenceSigningKey'
> {
  readonly ingestInstanceId: string;
  readonly geofenceCacheDir: string;
  readonly storageMode: 'postgres' | 'embedded';
  readonly jwtSecret: string;
  readonly deviceSecretKey: string;
  /** Where the generated first-administrator password is kept (embedded mode without ADMIN_PASSWORD). */
  readonly adminPasswordFile: string | undefined;
  /**
   * The Ed25519 private key (PEM) that signs evidence exports and anchors: from EVIDENCE_SIGNING_KEY, its file, or
   * in embedded mode the one generated under DATA_DIR/secrets. Undefined with DATABASE_URL and neither given.
   */
  readonly evidenceSigningKey: string | undefined;
  /** Where it came from, for messages (never the key itself). */
  readonly evidenceSigningKeySource: string;
}

/** Parses and validates the environment once; nothing else in the product reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(CONFIG_KEYS) as [string, KeyDefinition<unknown>][]) {
    try {
      values[name] = definition.parse(env[definition.key]);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push(`${definition.key} ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const raw = values as unknown as RawConfig;
  const storageMode = raw.databaseUrl ? 'postgres' : 'embedded';
  if (storageMode === 'postgres') {
    if (!raw.jwtSecret) problems.push('JWT_SECRET is required when DATABASE_URL is set');
    if (!raw.deviceSecretKey) problems.push('DEVICE_SECRET_KEY is required when DATABASE_URL is set');
    if (problems.length > 0) throw new ConfigError(problems);
  }
  if (storageMode === 'embedded' && raw.ingestWorkers > 0)
    throw new ConfigError(['INGEST_WORKERS needs DATABASE_URL: the embedded database lives in one thread']);
  const evidence = evidenceSigningKey(raw, storageMode);
  return {
    ...raw,
    storageMode,
    dataDir: path.resolve(raw.dataDir),
    geodataDir: path.resolve(raw.geodataDir),
    ingestInstanceId: raw.ingestInstanceId ?? os.hostname(),
    geofenceCacheDir: path.resolve(raw.geofenceCacheDir ?? path.join(raw.dataDir, 'geofence-cache')),
    jwtSecret: raw.jwtSecret ?? persistedSecret(raw.dataDir, 'jwt-secret', 48),
    deviceSecretKey: raw.deviceSecretKey ?? persistedSecret(raw.dataDir, 'device-secret-key', 48),
    adminPassword:
      raw.adminPassword ??
      (storageMode === 'embedded' ? persistedSecret(raw.dataDir, 'admin-password', 12) : undefined),
    adminPasswordFile:
      raw.adminPassword === undefined && storageMode === 'embedded'
        ? persistedSecretPath(raw.dataDir, 'admin-password')
        : undefined,
    evidenceSigningKey: evidence.pem,
    evidenceSigningKeySource: evidence.source,
  };
}

/**
 * The evidence signing key: EVIDENCE_SIGNING_KEY, else EVIDENCE_SIGNING_KEY_FILE, else (embedded mode) a key
 * generated once in DATA_DIR/secrets (outside the embedded database's directory), readable by its owner only.
 */
function evidenceSigningKey(
  raw: RawConfig,
  storageMode: 'postgres' | 'embedded',
): { pem: string | undefined; source: string } {
  if (raw.evidenceSigningKey && raw.evidenceSigningKeyFile)
    throw new ConfigError(['set EVIDENCE_SIGNING_KEY or EVIDENCE_SIGNING_KEY_FILE, not both']);
  if (raw.evidenceSigningKey) {
    const text = raw.evidenceSigningKey.replace(/\\n/g, '\n');
    const pem = text.includes('-----BEGIN')
      ? text
      : `-----BEGIN PRIVATE KEY-----\n${text.replace(/\s+/g, '')}\n-----END PRIVATE KEY-----\n`;
    return { pem: checkedEd25519(pem, 'EVIDENCE_SIGNING_KEY'), source: 'EVIDENCE_SIGNING_KEY' };
  }
  const file =
    raw.evidenceSigningKeyFile ??
    (storageMode === 'embedded' ? persistedSecretPath(raw.dataDir, 'evidence-signing-key.pem') : undefined);
  if (!file) return { pem: undefined, source: '(none)' };
  const source = `EVIDENCE_SIGNING_KEY_FILE ${path.resolve(file)}`;
  if (!raw.evidenceSigningKeyFile && !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      mode: 0o600,
      flag: 'wx',
    });
  }
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `EVIDENCE_SIGNING_KEY_FILE cannot be read (${path.resolve(file)}): ${(error as Error).message}`,
    ]);
  }
  return { pem: checkedEd25519(pem, 'EVIDENCE_SIGNING_KEY_FILE'), source };
}

function checkedEd25519(pem: string, key: string): string {
  try {
    const parsed = crypto.createPrivateKey(pem);
    if (parsed.asymmetricKeyType !== 'ed25519') throw new Error(`a ${parsed.asymmetricKeyType} key`);
  } catch (error) {
    throw new ConfigError([
      `${key} must be an Ed25519 private key (PKCS#8 PEM): ${(error as Error).message}`,
    ]);
  }
  return pem;
}

/** Embedded mode only: a random secret generated on first start and kept beside the embedded database. */
export function persistedSecretPath(dataDir: string, name: string): string {
  return path.resolve(dataDir, 'secrets', name);
}

function persistedSecret(dataDir: string, name: string, bytes: number): string {
  const file = persistedSecretPath(dataDir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = crypto.randomBytes(bytes).toString('base64url');
  fs.writeFileSync(file, value, { mode: 0o600 });
  return value;
}
