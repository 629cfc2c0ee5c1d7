/** One Jest run for unit (beside the code), integration and end-to-end (test/) suites. */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const libs = [
  'config',
  'db',
  'registry',
  'geofence',
  'rules',
  'telemetry',
  'broker',
  'mqtt-consumer',
  'integrity',
  'dispatch',
  'platform',
  'zones',
  'evidence',
];
const moduleNameMapper = {};
for (const lib of libs) {
  moduleNameMapper[`^@app/${lib}$`] = `<rootDir>/libs/${lib}/src`;
  moduleNameMapper[`^@app/${lib}/(.*)$`] = `<rootDir>/libs/${lib}/src/$1`;
}

// Suites that need a real service run where it is configured (CI sets these), as the README says.
const realServiceSuites = [
  ...(process.env.MQTT_URL ? [] : ['<rootDir>/test/devices/mosquitto.e2e.spec.ts']),
  ...(process.env.MQTT_URL ? [] : ['<rootDir>/test/devices/broker-kill.e2e.spec.ts']),
  ...(process.env.MQTT_URL ? [] : ['<rootDir>/libs/mqtt-consumer/src/consumer-connection.spec.ts']),
  ...(process.env.MQTT_URL ? [] : ['<rootDir>/test/dispatch/mosquitto-agencies.e2e.spec.ts']),
  ...(process.env.DATABASE_URL ? [] : ['<rootDir>/test/ingest/database-outage.e2e.spec.ts']),
  ...(process.env.DATABASE_URL ? [] : ['<rootDir>/test/ingest/workers.e2e.spec.ts']),
  ...(process.env.MQTT_URL && process.env.DATABASE_URL
    ? []
    : ['<rootDir>/test/ingest/crash-recovery.e2e.spec.ts', '<rootDir>/test/ingest/session-drain.e2e.spec.ts']),
];

module.exports = {
  testPathIgnorePatterns: ['/node_modules/', ...realServiceSuites],
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test', '<rootDir>/simulator'],
  testRegex: '\\.(spec|test)\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  // The default catalogue and its geofence index, built once per run for every suite that needs them.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // A guard against hangs, not a measure of speed: every wait inside a test is on an observable condition.
  testTimeout: 180000,
  maxWorkers: 2,
};
