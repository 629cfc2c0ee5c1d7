import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/config';
import { createRegistryApi, listen } from '../../registry-api/src/registry-api';
import { IngestModule } from '../../ingest/src/ingest.module';
import { IngestRuntime, startIngest } from '../../ingest/src/ingest.runtime';
import { DispatcherModule } from '../../dispatcher/src/dispatcher.module';

/**
 * The main job: the whole product in one process. With no DATABASE_URL it runs on the embedded
 * PostgreSQL under DATA_DIR, so a fresh machine needs no server.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const api = await createRegistryApi(config, undefined, [IngestModule, DispatcherModule]);
  const url = await listen(api, config);
  await startIngest(api);
  const broker = api.get(IngestRuntime).brokerUrl ?? '(not started)';
  const storage =
    config.storageMode === 'embedded'
      ? `embedded PostgreSQL in ${config.dataDir}/pglite`
      : 'PostgreSQL (DATABASE_URL)';
  process.stdout.write(
    [
      '',
      'Centinela — national registry of heavy machinery',
      `  Registry API   ${url}/v1`,
      `  API docs       ${url}/docs`,
      `  Storage        ${storage}`,
      `  MQTT broker    ${broker}${config.mqttUrl ? '' : ' (embedded, MQTT 3.1.1; devices: username = client id = IMEI)'}`,
      `  Sign in        POST ${url}/v1/auth/login as "${config.adminUsername}"` +
        (config.adminPasswordFile ? ` with the password in ${config.adminPasswordFile}` : ''),
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping…\n');
    await api.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
