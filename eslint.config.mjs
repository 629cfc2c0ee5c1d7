import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = import.meta.dirname;
const apps = ['centinela', 'registry-api', 'ingest', 'dispatcher', 'geofence-cli'];
/** The composition root: the one app that mounts the others' modules in one process. */
const compositionRoot = 'centinela';

/** Only the composition root imports other apps; libraries import no app. */
const appBoundaries = [
  ...apps
    .filter((app) => app !== compositionRoot)
    .map((app) => ({
      target: `./apps/${app}`,
      from: './apps',
      except: [`./${app}`],
      message: `only apps/${compositionRoot} composes apps: move what ${app} shares into a library (libs/)`,
    })),
  { target: './libs', from: './apps', message: 'libraries never import apps' },
];

/** The product's code does not depend on its tests, benchmarks or (but for the main job's demo) the simulator. */
const testBoundaries = [
  {
    target: './libs',
    from: ['./test', './bench', './simulator'],
    message: 'libraries never import tests, benchmarks or the simulator',
  },
  { target: './apps', from: ['./test', './bench'], message: 'apps never import tests or benchmarks' },
  {
    target: apps.filter((app) => app !== compositionRoot).map((app) => `./apps/${app}`),
    from: './simulator',
    message: `only apps/${compositionRoot} plays the simulator's scenarios (its demo)`,
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: [
      'libs/geofence/**',
      'libs/rules/**',
      'libs/telemetry/**',
      'libs/registry/**',
      'libs/integrity/**',
      'libs/dispatch/**',
      'libs/mqtt-consumer/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@nestjs/*', 'kysely', 'pg', '@app/db', '@app/config', 'ioredis', 'mqtt'] },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Which files the rules follow imports into (and parse, for no-cycle): the TypeScript sources.
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: root, zones: [...appBoundaries, ...testBoundaries] },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // Specs beside the code are tests: they may use the test support (test/support).
    files: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: appBoundaries }],
    },
  },
);
