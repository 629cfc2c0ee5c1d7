import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import * as path from 'node:path';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { prefetchDefaultCatalogue } from '@app/geofence';
import { logLevelsUpTo } from '@app/platform';
import { createRegistryApi, listen } from '../../registry-api/src/registry-api';
import { IngestModule } from '../../ingest/src/ingest.module';
import { IngestRuntime, startIngest } from '../../ingest/src/ingest.runtime';
import { DispatcherModule } from '../../dispatcher/src/dispatcher.module';
import { demoWanted, parseMainArgs, USAGE, UsageError } from './args';
import { Demo, DemoUnavailable, prepareDemo } from './demo';
import { FileLogger } from './file-logger';
import { paint } from './live-view';

const LOG_FILE = 'centinela.log';

/**
 * The main job: the whole product in one process. With no DATABASE_URL it runs on the embedded
 * PostgreSQL under DATA_DIR, so a fresh machine needs no server; on embedded services (or with --demo) it also
 * runs the demo: agencies, simulated machines and a live view of their alerts.
 */
async function main(argv: readonly string[]): Promise<number | undefined> {
  let options;
  try {
    options = parseMainArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`centinela: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const loaded = loadConfig();
  // A first start imports the Peru catalogue and builds its index on another thread while the database opens.
  if (loaded.zoneCatalogueSeed === 'default') {
    prefetchDefaultCatalogue({ dataDir: loaded.geodataDir, cacheDir: loaded.geofenceCacheDir });
  }
  const demo = demoWanted(options, loaded);
  // The demo agencies' webhooks go to a receiver inside this process, on the loopback address: the one
  // non-public host their channels may use (docs/security.md, outbound calls).
  const config = demo ? withDemoReceiver(loaded) : loaded;
  if (demo && !config.adminPassword) {
    process.stderr.write(
      'centinela: the demo enrols its machines as the first administrator: set ADMIN_PASSWORD to that password, or start without --demo\n',
    );
    return 1;
  }
  const tty = process.stdout.isTTY === true;
  const colour = tty && !process.env['NO_COLOR'];
  const p = paint(colour);
  // During the demo the terminal is the live view; the product's log goes to a file.
  const logger = demo
    ? new FileLogger(path.join(config.dataDir, LOG_FILE), logLevelsUpTo(config.logLevel))
    : undefined;

  // Ctrl-C is honoured from the first moment: whatever has started is stopped, and the exit code is 0.
  const started: { api?: INestApplication } = {};
  let running: Demo | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      process.stdout.write('Stopping now.\n');
      process.exit(1);
    }
    stopping = true;
    if (running) running.view.line('Stopping…');
    else process.stdout.write('\nStopping…\n');
    try {
      await running?.stop();
    } finally {
      await started.api?.close();
      await logger?.close();
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (logger) {
    logger.onError = (text) => process.stderr.write(`${p.red('error')} ${text}\n`);
    process.stdout.write(
      `${p.bold('Centinela')} is starting (a first start also imports the Peru zone catalogue and builds its index, which later starts reuse)…\n`,
    );
  }
  const api = await createRegistryApi(config, undefined, [IngestModule, DispatcherModule], {
    ...(logger ? { logger } : {}),
    shutdownOnSignals: false,
  });
  started.api = api;
  const url = await listen(api, config);
  await startIngest(api);
  const broker = api.get(IngestRuntime).brokerUrl;

  if (demo && broker && !stopping) {
    try {
      const prepared = await prepareDemo({
        app: api,
        config,
        apiUrl: url,
        mqttUrl: broker,
        out: process.stdout,
        colour,
      });
      if (stopping) {
        await prepared.stop();
        return undefined;
      }
      running = prepared;
      if (logger) logger.onError = (text) => prepared.view.line(`${p.red('error')} ${text}`);
    } catch (error) {
      if (stopping) return undefined;
      const reason = error instanceof DemoUnavailable ? error.message : String(error);
      process.stderr.write(`centinela: the demo cannot run: ${reason}\n`);
    }
  }
  if (stopping) return undefined;
  process.stdout.write(banner(config, url, broker, running, logger?.file));
  running?.start();
  return undefined;
}

function banner(
  config: AppConfig,
  url: string,
  broker: string | undefined,
  demo: Demo | undefined,
  logFile: string | undefined,
): string {
  const storage =
    config.storageMode === 'embedded'
      ? `embedded PostgreSQL in ${config.dataDir}/pglite`
      : 'PostgreSQL (DATABASE_URL)';
  const brokerLine = broker
    ? `${broker}${config.mqttUrl ? '' : ' (embedded, MQTT 3.1.1; devices: username = client id = IMEI)'}`
    : '(not started)';
  const lines = [
    '',
    'Centinela — national registry of heavy machinery',
    `  Registry API   ${url}/v1`,
    `  API docs       ${url}/docs`,
    `  Live alerts    ${url}/v1/alerts/stream (the console's feed: Server-Sent Events for a signed-in officer; no web console yet)`,
    `  MQTT broker    ${brokerLine}`,
    `  Storage        ${storage}`,
    `  Sign in        POST ${url}/v1/auth/login as "${config.adminUsername}"` +
      (config.adminPasswordFile ? ` with the password in ${config.adminPasswordFile}` : ''),
  ];
  if (logFile) lines.push(`  Log            ${logFile}`);
  if (demo) {
    const { created, receiving, others } = demo.agencies;
    lines.push(
      `  Demo webhooks  ${demo.webhookUrl}{agency} (a receiver in this process standing in for the agencies' systems)`,
      `  Demo agencies  ${
        created.length > 0
          ? `created ${created.join(', ')}`
          : receiving.length > 0
            ? `${receiving.join(', ')} (from an earlier start)`
            : 'none'
      }`,
      '',
      'Demo: the fleet simulator plays its scenarios with newly enrolled machines, round after round; the',
      'lines below are what the product makes of their fixes (violations, warnings, integrity alerts) and',
      'the deliveries to the demo agencies.',
      others.length > 0
        ? `Agencies of the registry (${others.join(', ')}) also receive the demo's alerts on their own channels.`
        : 'No alert leaves this machine.',
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);

/** The configuration with the demo receiver's loopback address added to WEBHOOK_ALLOWED_HOSTS. */
function withDemoReceiver(config: AppConfig): AppConfig {
  const hosts = new Set(
    (config.webhookAllowedHosts ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
  );
  hosts.add('127.0.0.1');
  return { ...config, webhookAllowedHosts: [...hosts].join(',') };
}
