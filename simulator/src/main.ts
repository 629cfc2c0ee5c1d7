/**
 * The fleet simulator: machines enrolled through the registry API, each tracker an MQTT client publishing the
 * device protocol.  `npm run simulate -- --help`
 */
import { CliOptions, parseArgs, USAGE, UsageError } from './args';
import { FleetStats, FleetTarget, launchDevice, RegistryClient, runScenario, SimulatedDevice } from './fleet';
import { LoadMachine, planFleet } from './load';
import { loadPlaces } from './places';
import { Random } from './random';
import { buildScenario, SCENARIO_NAMES } from './scenarios';

type RunOptions = Extract<CliOptions, { mode: 'scenario' | 'load' }>;

/** A bar of `width` cells filled to `fraction` (0–1), with the percentage. */
export function progressBar(fraction: number, width = 20): string {
  const bounded = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(bounded * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.floor(bounded * 100)).padStart(3)}%`;
}

/**
 * Redraws the live line once a second (in place on a terminal, every 5 s as a new line otherwise); `progress`
 * (0–1) puts a bar in front of it.
 */
function startDisplay(stats: FleetStats, progress?: () => number): () => void {
  const tty = process.stderr.isTTY === true;
  let ticks = 0;
  const line = () => (progress ? `${progressBar(progress())}  ${stats.line()}` : stats.line());
  const timer = setInterval(() => {
    ticks++;
    if (tty) process.stderr.write(`\r\x1b[2K${line()}`);
    else if (ticks % 5 === 0) process.stderr.write(`${line()}\n`);
  }, 1000);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write('\r\x1b[2K');
  };
}

function summary(stats: FleetStats, devices: readonly SimulatedDevice[]): string {
  const buffered = devices.reduce((n, d) => n + d.firmware.buffered, 0);
  const backlog = devices.reduce((n, d) => n + d.acked.filter((f) => f.kind === 'backlog').length, 0);
  const seconds = (Date.now() - stats.startedAt) / 1000;
  return [
    `machines      ${devices.length}`,
    `messages      ${stats.messagesSent} sent, ${stats.messagesAcked} acknowledged, ${stats.failures} failed`,
    `fixes         ${stats.fixesSent} sent, ${stats.fixesAcked} acknowledged (${backlog} from store-and-forward)`,
    `receipts      ${stats.fixesReceipted} fixes receipted as stored, ${stats.fixesResent} sent again for want of a receipt`,
    `still in flash ${buffered}`,
    `duration      ${seconds.toFixed(1)} s, ${stats.rate().toFixed(1)} acknowledged fixes/s`,
  ].join('\n');
}

async function runScenarioMode(
  options: Extract<RunOptions, { mode: 'scenario' }>,
  target: FleetTarget,
): Promise<void> {
  const scenario = buildScenario(options.scenario, loadPlaces(), { seed: options.seed });
  process.stdout.write(
    `${scenario.name}: ${scenario.description}\n  ${scenario.category}, ${scenario.encoding}, ` +
      `${scenario.steps.length} ticks every ${scenario.intervalS} s (replayed, ending now)\n`,
  );
  let ticked = 0;
  const stop = startDisplay(target.stats, () => ticked / scenario.steps.length);
  let device: SimulatedDevice;
  try {
    device = await runScenario(scenario, target, {
      paceMs: options.paceMs,
      onTick: (index) => (ticked = index + 1),
    });
  } finally {
    stop();
  }
  process.stdout.write(`tracker ${device.tracker.imei}, machine ${device.tracker.machineId}\n`);
  process.stdout.write(`${summary(target.stats, [device])}\n`);
}

async function runLoadMode(
  options: Extract<RunOptions, { mode: 'load' }>,
  target: FleetTarget,
): Promise<void> {
  const plans = planFleet(loadPlaces(), options.machines, options.seed);
  const random = new Random(options.seed + 1);
  const devices: SimulatedDevice[] = [];
  const machines: LoadMachine[] = [];
  let next = 0;
  const enrolOne = async (): Promise<void> => {
    while (next < plans.length) {
      const plan = plans[next++]!;
      const device = await launchDevice(target, plan.category, plan.encoding, undefined, plan.department);
      devices.push(device);
      machines.push(new LoadMachine(plan, new Random(random.int(0, 2 ** 31))));
      if (process.stderr.isTTY)
        process.stderr.write(
          `\r\x1b[2K${progressBar(devices.length / plans.length)}  enrolled and connected ${devices.length}/${plans.length}`,
        );
    }
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  try {
    await Promise.all(Array.from({ length: Math.min(8, plans.length) }, enrolOne));
    process.stderr.write(
      `${process.stderr.isTTY ? '\r\x1b[2K' : ''}${devices.length} machines enrolled and connected; running (Ctrl-C to stop)\n`,
    );
    target.stats.restart();
    const runStartedAt = Date.now();
    const durationS = options.durationS;
    const stop = startDisplay(
      target.stats,
      durationS === undefined ? undefined : () => (Date.now() - runStartedAt) / (durationS * 1000),
    );
    const busy = new Set<number>();
    const timers: NodeJS.Timeout[] = [];
    let skipped = 0;
    const inFlight = new Set<Promise<void>>();
    devices.forEach((device, i) => {
      const tick = () => {
        if (busy.has(i)) {
          skipped++;
          return;
        }
        busy.add(i);
        const work = device
          .tick(machines[i]!.tick(Date.now(), options.intervalS))
          .catch(() => undefined)
          .finally(() => {
            busy.delete(i);
            inFlight.delete(work);
          });
        inFlight.add(work);
      };
      const startIn = random.between(0, options.intervalS * 1000);
      timers.push(
        setTimeout(() => {
          tick();
          timers.push(setInterval(tick, options.intervalS * 1000));
        }, startIn),
      );
    });
    const endAt = options.durationS === undefined ? Infinity : Date.now() + options.durationS * 1000;
    while (!interrupted && Date.now() < endAt) await new Promise((resolve) => setTimeout(resolve, 200));
    timers.forEach((t) => clearTimeout(t));
    await Promise.all(inFlight);
    stop();
    if (skipped)
      process.stdout.write(`${skipped} ticks skipped: the previous one was still waiting for its PUBACK\n`);
  } finally {
    process.off('SIGINT', onSignal);
    await Promise.all(devices.map((d) => d.close().catch(() => undefined)));
  }
  process.stdout.write(`${summary(target.stats, devices)}\n`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`simulate: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.mode === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.mode === 'list') {
    const places = loadPlaces();
    for (const name of SCENARIO_NAMES) {
      const s = buildScenario(name, places);
      process.stdout.write(`${name.padEnd(28)} ${s.category}, ${s.encoding}: ${s.description}\n`);
    }
    return 0;
  }
  const registry = new RegistryClient(options.api);
  const target: FleetTarget = { registry, mqttUrl: options.mqtt, stats: new FleetStats() };
  try {
    await registry.login(options.user, options.password);
    if (options.mode === 'scenario') await runScenarioMode(options, target);
    else await runLoadMode(options, target);
  } catch (error) {
    process.stderr.write(`\nsimulate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  return target.stats.failures > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `simulate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
