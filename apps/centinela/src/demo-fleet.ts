import type { TickInput } from '../../../simulator/src/firmware';
import { FleetTarget, pause, runScenario, SimulatedDevice } from '../../../simulator/src/fleet';
import type { Places } from '../../../simulator/src/places';
import { buildScenario, Scenario, SCENARIO_NAMES } from '../../../simulator/src/scenarios';

/** One machine of the demo: a simulator scenario played by a freshly enrolled machine. */
export interface DemoMachine {
  readonly round: number;
  readonly scenario: Scenario;
  device: SimulatedDevice | undefined;
  /** Ticks played so far, out of `scenario.steps.length`. */
  ticks: number;
  state: 'enrolling' | 'running' | 'done' | 'failed';
  error?: string;
}

export interface DemoFleetListener {
  roundStarted(round: number): void;
  machineChanged(machine: DemoMachine): void;
}

export interface DemoFleetTiming {
  /** Between the starts of two scenarios of a round. */
  readonly staggerMs: number;
  /** Between the end of a round and the start of the next one, for the first `busyRounds` rounds. */
  readonly restMs: number;
  readonly busyRounds: number;
  /** Between rounds after that, so a demo left running does not pile up machines. */
  readonly laterRestMs: number;
  /**
   * A machine whose scenario is over stays parked where it ended, engine off, its tracker reporting this often,
   * as trackers do (well within the silence that raises a went-dark alert).
   */
  readonly parkedReportMs: number;
}

export const DEMO_TIMING: DemoFleetTiming = {
  staggerMs: 5_000,
  restMs: 20_000,
  busyRounds: 3,
  laterRestMs: 5 * 60_000,
  parkedReportMs: 10 * 60_000,
};

interface ParkedMachine {
  readonly device: SimulatedDevice;
  /** The scenario's last tick: where it stays. */
  readonly last: TickInput;
}

/**
 * Plays the simulator's named scenarios against the running product, round after round until stopped: in each
 * round every scenario gets a newly enrolled machine, a few seconds after the previous one. A scenario's timeline
 * (minutes to hours of tracker time, ending now) is replayed as fast as the broker acknowledges, as
 * `npm run simulate -- --scenario` does: its tracker uploads its history at once and its newest fix is current,
 * so the platform judges it as it would a real tracker's. Then the machine stays parked, reporting now and then.
 */
export class DemoFleet {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly parked: ParkedMachine[] = [];
  private parkedTimer: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | undefined;

  constructor(
    private readonly target: FleetTarget,
    private readonly places: Places,
    private readonly listener: DemoFleetListener,
    /** Signs the simulated clerk in again before each round (access tokens expire). */
    private readonly signIn: () => Promise<void>,
    private readonly timing: DemoFleetTiming = DEMO_TIMING,
  ) {}

  start(): void {
    this.running ??= this.loop();
    this.parkedTimer ??= setInterval(() => {
      this.reporting ??= this.reportParked().finally(() => (this.reporting = undefined));
    }, this.timing.parkedReportMs);
    this.parkedTimer.unref();
  }

  /** Stops between ticks; every tracker disconnects as at the end of its scenario. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.parkedTimer);
    await this.running;
    await this.reporting;
    await Promise.all(this.parked.map((p) => p.device.close().catch(() => undefined)));
  }

  /** One report of every parked machine: where its scenario left it, engine off, at the wall-clock time. */
  private async reportParked(): Promise<void> {
    for (const { device, last } of this.parked) {
      if (this.abort.signal.aborted) return;
      const { sample } = last;
      await device
        .tick({
          sample: { ...sample, timeMs: Date.now(), speed: 0 },
          ignition: false,
          externalVoltage: last.externalVoltage,
          battery: last.battery,
          coverage: true,
        })
        .catch(() => undefined);
    }
  }

  private async loop(): Promise<void> {
    for (let round = 1; !this.abort.signal.aborted; round++) {
      this.listener.roundStarted(round);
      // A failed sign-in shows as each machine's enrolment failing; the next round tries again.
      await this.signIn().catch(() => undefined);
      const plays: Promise<void>[] = [];
      for (const [i, name] of SCENARIO_NAMES.entries()) {
        if (i > 0) await this.pause(this.timing.staggerMs);
        if (this.abort.signal.aborted) break;
        plays.push(this.play(round, name));
      }
      await Promise.all(plays);
      await this.pause(round < this.timing.busyRounds ? this.timing.restMs : this.timing.laterRestMs);
    }
  }

  private async play(round: number, name: (typeof SCENARIO_NAMES)[number]): Promise<void> {
    const scenario = buildScenario(name, this.places, { seed: round });
    const machine: DemoMachine = { round, scenario, device: undefined, ticks: 0, state: 'enrolling' };
    this.listener.machineChanged(machine);
    try {
      const device = await runScenario(scenario, this.target, {
        signal: this.abort.signal,
        disconnectAtEnd: false,
        onLaunched: (device) => {
          machine.device = device;
          machine.state = 'running';
          this.listener.machineChanged(machine);
        },
        onTick: (index) => {
          machine.ticks = index + 1;
        },
      });
      machine.state = 'done';
      const last = scenario.steps[scenario.steps.length - 1];
      if (last && !this.abort.signal.aborted) this.parked.push({ device, last });
      else await device.close();
    } catch (error) {
      machine.state = 'failed';
      machine.error = error instanceof Error ? error.message : String(error);
    }
    this.listener.machineChanged(machine);
  }

  private pause(ms: number): Promise<void> {
    return pause(ms, this.abort.signal);
  }
}
