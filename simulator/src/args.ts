import { isScenarioName, ScenarioName, SCENARIO_NAMES } from './scenarios';

export interface CommonOptions {
  readonly api: string;
  readonly mqtt: string;
  readonly user: string;
  readonly password: string;
  readonly seed: number;
}

export type CliOptions =
  | (CommonOptions & { readonly mode: 'scenario'; readonly scenario: ScenarioName; readonly paceMs: number })
  | (CommonOptions & {
      readonly mode: 'load';
      readonly machines: number;
      readonly intervalS: number;
      /** Seconds; undefined runs until interrupted. */
      readonly durationS: number | undefined;
    })
  | { readonly mode: 'help' }
  | { readonly mode: 'list' };

export class UsageError extends Error {}

export const USAGE = `Usage:
  npm run simulate -- --password <pw> --scenario <name> [--pace <ms>]
  npm run simulate -- --password <pw> --machines <N> --interval <s> [--duration <s>]
  npm run simulate -- --list

Options:
  --api <url>        registry API (default http://127.0.0.1:3000)
  --mqtt <url>       MQTT broker (default mqtt://127.0.0.1:1884)
  --user <name>      registry user allowed to register machines (default admin)
  --password <pw>    that user's password (or the ADMIN_PASSWORD environment variable)
  --scenario <name>  one of: ${SCENARIO_NAMES.join(', ')}
  --pace <ms>        wall-clock pause between the ticks of a scenario (default 0: as fast as acknowledged)
  --machines <N>     load mode: machines to enrol and run (1-10000)
  --interval <s>     load mode: seconds between fixes of each machine
  --duration <s>     load mode: stop after this many seconds (default: until Ctrl-C)
  --seed <n>         seed of the generated tracks (default 1)
  --list             list the scenarios
`;

const FLAGS = [
  'api',
  'mqtt',
  'user',
  'password',
  'scenario',
  'pace',
  'machines',
  'interval',
  'duration',
  'seed',
];

function url(value: string, name: string, protocols: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`--${name} must be a URL, got "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new UsageError(
      `--${name} must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}, got "${value}"`,
    );
  }
  return value;
}

function number(value: string | undefined, name: string, min: number, max: number, integer: boolean): number {
  const parsed = Number(value);
  if (
    value === undefined ||
    value.trim() === '' ||
    !Number.isFinite(parsed) ||
    (integer && !Number.isInteger(parsed))
  ) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${value ?? ''}"`);
  }
  if (parsed < min || parsed > max)
    throw new UsageError(`--${name} must be between ${min} and ${max}, got ${parsed}`);
  return parsed;
}

/** Parses the command line (without node and the script); throws UsageError with a message for the user. */
export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): CliOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { mode: 'help' };
    if (arg === '--list') return { mode: 'list' };
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match || !FLAGS.includes(match[1] as string)) throw new UsageError(`unknown argument "${arg}"`);
    const name = match[1] as string;
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    if (values.has(name)) throw new UsageError(`--${name} is given twice`);
    values.set(name, value);
  }
  const password = values.get('password') ?? env['ADMIN_PASSWORD'];
  if (!password) throw new UsageError('--password is required (or set ADMIN_PASSWORD)');
  const common: CommonOptions = {
    api: url(values.get('api') ?? 'http://127.0.0.1:3000', 'api', ['http:', 'https:']),
    mqtt: url(values.get('mqtt') ?? 'mqtt://127.0.0.1:1884', 'mqtt', ['mqtt:', 'mqtts:', 'tcp:', 'ssl:']),
    user: values.get('user') ?? 'admin',
    password,
    seed: values.has('seed') ? number(values.get('seed'), 'seed', 0, 2 ** 32 - 1, true) : 1,
  };
  const scenario = values.get('scenario');
  const load = ['machines', 'interval', 'duration'].filter((f) => values.has(f));
  if (scenario !== undefined) {
    if (load.length > 0) throw new UsageError(`--scenario cannot be combined with --${load.join(', --')}`);
    if (!isScenarioName(scenario)) {
      throw new UsageError(`unknown scenario "${scenario}"; one of: ${SCENARIO_NAMES.join(', ')}`);
    }
    const paceMs = values.has('pace') ? number(values.get('pace'), 'pace', 0, 60_000, true) : 0;
    return { ...common, mode: 'scenario', scenario, paceMs };
  }
  if (values.has('pace')) throw new UsageError('--pace applies to --scenario only');
  if (!values.has('machines') || !values.has('interval')) {
    throw new UsageError('give either --scenario <name>, or --machines <N> and --interval <s>');
  }
  return {
    ...common,
    mode: 'load',
    machines: number(values.get('machines'), 'machines', 1, 10_000, true),
    intervalS: number(values.get('interval'), 'interval', 0.1, 3600, false),
    durationS: values.has('duration')
      ? number(values.get('duration'), 'duration', 1, 7 * 86_400, false)
      : undefined,
  };
}
