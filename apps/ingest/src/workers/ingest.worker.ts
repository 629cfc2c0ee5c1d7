/**
 * An ingest worker thread (INGEST_WORKERS): a pipeline of its own (writers, live states, database pool, geofence
 * index) for the trackers the main thread routes to it, which keeps the broker connections. Its configuration is
 * the main thread's (sent as worker data), with `ingestWorkers` 0 so that the pipeline runs here.
 */
import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parentPort, workerData } from 'node:worker_threads';
import { AppConfig, ConfigModule } from '@app/config';
import { parseDeviceTopic } from '@app/telemetry';
import { Database, DbModule } from '@app/db';
import { logLevelsUpTo, openConfiguredDatabase } from '@app/platform';
import { ZoneCatalogueService } from '@app/zones';
import { IngestCoreModule } from '../ingest-core.module';
import { IngestCounters } from '../ingest-counters';
import { IngestPipeline } from '../ingest.pipeline';
import type { FromWorker, ToWorker, WireDeviceMessage, WireMessage, WorkerData } from './protocol';
import { slotOfImei } from './worker-pool';

@Module({})
class IngestWorkerModule {
  static forRoot(config: AppConfig, database: Database): DynamicModule {
    return {
      module: IngestWorkerModule,
      imports: [ConfigModule.forRoot(config), DbModule.forDatabase(database), IngestCoreModule],
    };
  }
}

if (!parentPort) throw new Error('ingest.worker runs as a worker thread of ingest');
const port = parentPort;
const send = (message: FromWorker) => port.postMessage(message);

async function boot(): Promise<INestApplicationContext> {
  const config = (workerData as WorkerData).config;
  const database = await openConfiguredDatabase(config);
  const app = await NestFactory.createApplicationContext(IngestWorkerModule.forRoot(config, database), {
    logger: logLevelsUpTo(config.logLevel),
  });
  await app.init();
  await app.get(ZoneCatalogueService).ready();
  const pipeline = app.get(IngestPipeline);
  // Messages to devices (rejections, receipts) cross to the main thread together, once per turn of the event loop.
  let outgoing: WireDeviceMessage[] = [];
  pipeline.usePublisher({
    publishToDevice: async (topic, payload, options) => {
      if (outgoing.length === 0)
        setImmediate(() => {
          send({ type: 'publish', messages: outgoing });
          outgoing = [];
        });
      outgoing.push({
        topic,
        payload,
        ...(options?.expirySeconds !== undefined ? { expirySeconds: options.expirySeconds } : {}),
      });
    },
  });
  const { index, count } = (workerData as WorkerData).slot;
  await pipeline.start((imei) => slotOfImei(imei, count) === index);
  return app;
}

function serve(app: INestApplicationContext): void {
  const pipeline = app.get(IngestPipeline);
  const counters = app.get(IngestCounters);
  let done: number[] = [];
  let failed: { id: number; error: string }[] = [];
  let reporting = false;
  const settle = () => {
    send({ type: 'settled', done, failed, counters: counters.snapshot() });
    done = [];
    failed = [];
  };
  // Settlements go back together, once per turn of the event loop.
  const report = () => {
    if (reporting) return;
    reporting = true;
    setImmediate(() => {
      reporting = false;
      settle();
    });
  };
  const take = (message: WireMessage) => {
    pipeline
      .submit({
        message: {
          topic: message.topic,
          payload: Buffer.from(
            message.payload.buffer,
            message.payload.byteOffset,
            message.payload.byteLength,
          ),
          receivedAt: new Date(message.receivedAt),
          ...(message.authenticatedImei !== undefined
            ? { authenticatedImei: message.authenticatedImei }
            : {}),
        },
        // Parsed once, by the main thread; a refused topic is parsed again for its rejection.
        topic:
          message.imei !== undefined && message.channel !== undefined
            ? { ok: true, topic: { imei: message.imei, channel: message.channel } }
            : parseDeviceTopic(message.topic),
      })
      .then(
        () => done.push(message.id),
        (error: unknown) =>
          failed.push({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(report);
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'messages') for (const m of message.messages) take(m);
    else if (message.type === 'stop')
      void app.close().finally(() => {
        settle();
        port.close();
      });
  });
  send({ type: 'ready' });
}

boot().then(serve, (error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  port.close();
});
