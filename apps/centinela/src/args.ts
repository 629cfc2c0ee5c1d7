/** The main job's command line: `npm start -- [--demo | --no-demo]`. */
export interface MainOptions {
  readonly help: boolean;
  /** Explicit choice; undefined leaves it to the services in use (on embedded services only). */
  readonly demo: boolean | undefined;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm start -- [--demo | --no-demo]

Starts the whole product: registry API, zone catalogue, MQTT broker, ingest and dispatcher.

  --demo      run the demo (demo agencies, simulated machines, live view) even against the
              services of DATABASE_URL / MQTT_URL
  --no-demo   start the product only
  --help      show this text

Without either flag the demo runs on the embedded services (no DATABASE_URL and no MQTT_URL) and
never against external ones, so it cannot send demo alerts to real agencies.
`;

/** Parses the arguments after the script; throws UsageError with a message for the user. */
export function parseMainArgs(argv: readonly string[]): MainOptions {
  let demo: boolean | undefined;
  let help = false;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      help = true;
    } else if (arg === '--demo' || arg === '--no-demo') {
      const wanted = arg === '--demo';
      if (demo !== undefined && demo !== wanted)
        throw new UsageError('--demo and --no-demo exclude each other');
      demo = wanted;
    } else {
      throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  return { help, demo };
}

/** Whether the demo runs: as asked, else only when neither the database nor the broker is an external one. */
export function demoWanted(
  options: MainOptions,
  services: { readonly databaseUrl?: string | undefined; readonly mqttUrl?: string | undefined },
): boolean {
  return options.demo ?? (!services.databaseUrl && !services.mqttUrl);
}
