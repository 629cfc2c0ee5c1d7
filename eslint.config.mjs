import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
);
