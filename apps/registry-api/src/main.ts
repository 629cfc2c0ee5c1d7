import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { requireDatabaseUrl } from '@app/platform';
import { createRegistryApi, listen } from './registry-api';

async function main(): Promise<void> {
  const config = loadConfig();
  requireDatabaseUrl(config, 'The registry API (npm run start:registry-api)');
  const app = await createRegistryApi(config);
  await listen(app, config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
