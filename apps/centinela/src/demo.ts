import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { Store } from '@app/db';
import { ZoneCatalogueService } from '@app/zones';
import { FleetStats, RegistryClient } from '../../../simulator/src/fleet';
import { loadPlaces } from '../../../simulator/src/places';
import { DemoAgencySetup, setUpDemoAgencies } from './demo-agencies';
import { DemoFleet } from './demo-fleet';
import { DemoWebhookReceiver } from './demo-webhooks';
import { LiveView, LiveViewOutput } from './live-view';
import { ProductWatch } from './product-watch';

export interface DemoSettings {
  readonly app: INestApplication;
  readonly config: AppConfig;
  /** The registry API the simulated clerk enrols machines through. */
  readonly apiUrl: string;
  /** The broker the simulated trackers connect to. */
  readonly mqttUrl: string;
  readonly out: LiveViewOutput;
  readonly colour: boolean;
}

export interface Demo {
  /** Where the demo agencies' webhooks are delivered (the in-process receiver). */
  readonly webhookUrl: string;
  readonly agencies: DemoAgencySetup;
  readonly view: LiveView;
  /** Starts the machines and the live view. */
  start(): void;
  /** Stops the machines (their trackers disconnect), the live view and the receiver. */
  stop(): Promise<void>;
}

export class DemoUnavailable extends Error {}

/**
 * The demo of the main job, against the product running in this process: demo agencies (set up through the
 * registry API, delivering to an in-process webhook receiver), the simulator's named scenarios played by
 * machines enrolled through the API with trackers on the broker, and a live view of what the product makes of
 * them. Nothing here bypasses the product: the fixes go over MQTT, the alerts are read from the outbox and the
 * webhooks.
 */
export async function prepareDemo(settings: DemoSettings): Promise<Demo> {
  const { app, config } = settings;
  const password = config.adminPassword;
  if (!password)
    throw new DemoUnavailable(
      'the demo enrols its machines as the first administrator: set ADMIN_PASSWORD to that password',
    );
  const catalogue = app.get(ZoneCatalogueService);
  await catalogue.ready();
  if (!catalogue.engine.index)
    throw new DemoUnavailable(
      `no zone catalogue is active (ZONE_CATALOGUE_SEED=${config.zoneCatalogueSeed}): the scenarios need the Peru zones`,
    );
  const receiver = await new DemoWebhookReceiver().start();
  const registry = new RegistryClient(settings.apiUrl);
  const signIn = () => registry.login(config.adminUsername, password);
  let agencies: DemoAgencySetup;
  try {
    await signIn();
    agencies = await setUpDemoAgencies(registry, receiver);
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  const stats = new FleetStats();
  const view = new LiveView(
    settings.out,
    new ProductWatch(app.get(Store), catalogue),
    settings.colour,
    stats,
  );
  receiver.onDelivery((delivery) => view.delivered(delivery));
  const fleet = new DemoFleet(
    { registry, mqttUrl: settings.mqttUrl, stats },
    loadPlaces({ dataDir: config.geodataDir, cacheDir: config.geofenceCacheDir }),
    view,
    signIn,
  );
  return {
    webhookUrl: receiver.baseUrl,
    agencies,
    view,
    start: () => {
      view.start();
      fleet.start();
    },
    stop: async () => {
      await fleet.stop();
      await view.stop();
      await receiver.stop();
    },
  };
}
