import type { FleetStats } from '../../../simulator/src/fleet';
import type { DemoMachine, DemoFleetListener } from './demo-fleet';
import type { DemoDelivery } from './demo-webhooks';
import type { AlertEvent, ProductWatch, ZoneHere } from './product-watch';

/** Colours for a terminal; plain text when disabled (not a TTY, or NO_COLOR). */
export interface Paint {
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly magenta: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

export function paint(enabled: boolean): Paint {
  const sgr = (open: number, close: number) => (text: string) =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

// Escape sequences are matched to measure and cut what the terminal shows.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Cuts a line to `width` visible characters, keeping its colour codes (so a line never wraps). */
export function fit(line: string, width: number): string {
  if (line.replace(ESCAPE, '').length <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length && visible < width - 1;) {
    ESCAPE.lastIndex = i;
    const code = ESCAPE.exec(line);
    if (code && code.index === i) {
      out += code[0];
      i += code[0].length;
      continue;
    }
    out += line[i];
    visible++;
    i++;
  }
  return `${out}…\x1b[0m`;
}

const KIND_LABELS: Record<string, string> = {
  water_body: 'water body',
  protected_area: 'protected area',
  buffer_zone: 'buffer zone',
  indigenous_land: 'native community',
  mining_corridor: 'mining corridor',
  jurisdiction: 'department',
};

/** Where a position is, in words: the most telling zones, else the department only. */
export function describeZones(zones: readonly ZoneHere[]): string {
  const telling = zones.filter((z) => z.kind !== 'jurisdiction').slice(0, 2);
  if (telling.length > 0)
    return telling.map((z) => `${z.name} (${KIND_LABELS[z.kind] ?? z.kind})`).join(' · ');
  const department = zones.find((z) => z.kind === 'jurisdiction');
  return department ? `${department.name}, outside every other zone` : 'outside every zone of the catalogue';
}

const clock = (at: Date) => at.toTimeString().slice(0, 8);
/** `HH:MM:SS` of an ISO 8601 local time such as `2026-11-20T03:06:12-05:00`. */
const localClock = (iso: string): string | undefined => /T(\d{2}:\d{2}:\d{2})/.exec(iso)?.[1];

/** A stretch of time in words: "45 min", "2 h 21 min". */
export function span(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** One line for an alert event, or undefined for the routine `updated` events. */
export function formatAlert(event: AlertEvent, machine: string, p: Paint): string | undefined {
  const [family, type] = event.type.split('.') as [string, string];
  // Routine updates are left out; one that withdraws the alert is shown as such.
  const change = type === 'updated' && event.status === 'retracted' ? 'retracted' : type;
  if (change === 'updated') return undefined;
  const integrity = family === 'integrity' || event.zoneKind === 'integrity';
  const warning = event.severity === 'warning';
  const label = integrity ? 'INTEGRITY' : warning ? 'WARNING' : 'VIOLATION';
  const marker =
    change === 'closed' || change === 'retracted'
      ? '○'
      : change === 'escalated'
        ? '↑'
        : integrity
          ? '◆'
          : warning
            ? '▲'
            : '●';
  const ended = change === 'closed' || change === 'retracted';
  const colour = ended ? p.green : integrity ? p.magenta : warning ? p.yellow : p.red;
  const what = integrity
    ? `${event.title}: ${event.description}`
    : `${event.title} · ${event.zoneName} (${KIND_LABELS[event.zoneKind] ?? event.zoneKind})`;
  // Peru's local time of the event itself (not of its processing), the registry number, where and on what basis.
  const when = localClock(event.occurredAtLocal) ?? clock(event.at);
  const who = event.registryNumber ? `${p.bold(machine)} ${p.cyan(event.registryNumber)}` : p.bold(machine);
  const where = event.position ? ` @ ${event.position.lat.toFixed(5)}, ${event.position.lon.toFixed(5)}` : '';
  const basis = event.legalBasis ? p.dim(` · ${event.legalBasis}`) : '';
  const late = event.late ? p.yellow(' (late)') : '';
  return `${p.dim(when)} ${colour(`${marker} ${label.padEnd(9)} ${change.padEnd(9)}`)} ${who}  ${what}${where}${basis}${late}`;
}

export interface LiveViewOutput {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
}

interface DeliveryGroup {
  readonly type: string;
  readonly subject: string;
  readonly agencies: Set<string>;
  verified: boolean;
  readonly firstAt: number;
}

/** Deliveries of one event are gathered this long before their line is printed. */
const DELIVERY_GATHER_MS = 1500;
/** A delivery whose alert line has not shown yet waits at most this long for it. */
const DELIVERY_WAIT_MS = 6000;

/**
 * The demo's terminal: machines reporting, violations and integrity alerts as ingest opens and closes them, and
 * the deliveries to the agencies' webhooks. On a terminal, a block at the bottom (the round's machines, what the
 * product stored of each, where it is) is redrawn in place under the scrolling event lines; elsewhere (a pipe, a
 * file) only the event lines are written.
 */
export class LiveView implements DemoFleetListener {
  private readonly p: Paint;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private blockHeight = 0;
  private round = 0;
  private readonly machines: DemoMachine[] = [];
  private readonly byImei = new Map<string, DemoMachine>();
  private readonly whereabouts = new Map<DemoMachine, { stored: number; where: string }>();
  private readonly settled = new Set<DemoMachine>();
  private readonly pending: string[] = [];
  private readonly deliveries = new Map<string, DeliveryGroup>();
  private readonly shownAlerts = new Set<string>();
  /** What each alert seen is about, for the lines of its deliveries. */
  private readonly alertLabels = new Map<string, string>();
  private readonly totals = {
    violations: 0,
    warnings: 0,
    integrity: 0,
    closed: 0,
    delivered: 0,
    verified: 0,
  };

  constructor(
    private readonly out: LiveViewOutput,
    private readonly watch: ProductWatch,
    colour: boolean,
    /** What the simulated trackers sent and had acknowledged. */
    private readonly fleetStats?: FleetStats,
  ) {
    this.p = paint(colour);
  }

  start(): void {
    const tick = () => {
      this.polling = this.poll()
        .catch((error: unknown) => this.line(this.p.red(`live view: ${String(error)}`)))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    await this.polling;
    this.flushDeliveries(Infinity);
    this.clearBlock();
    const t = this.totals;
    this.out.write(
      `${this.pending.splice(0).join('')}` +
        `Demo stopped: ${this.machines.length} machines in ${this.round} round(s); ` +
        `alerts opened: ${t.violations} violations, ${t.warnings} warnings, ${t.integrity} integrity; ` +
        `${t.delivered} webhook deliveries (${t.verified} signatures verified).\n`,
    );
  }

  /** A line above the block (an error of the product, a note). */
  line(text: string): void {
    this.pending.push(`${text}\n`);
    this.redraw();
  }

  roundStarted(round: number): void {
    this.round = round;
    this.line(this.p.cyan(`── round ${round}: every scenario with a newly enrolled machine ──`));
  }

  machineChanged(machine: DemoMachine): void {
    const name = this.nameOf(machine);
    const s = machine.scenario;
    if (machine.state === 'enrolling') {
      this.machines.push(machine);
      this.line(
        `${this.p.cyan('▶')} ${this.p.bold(name)} ${this.p.dim(`${s.category}, ${s.encoding}, ${s.steps.length} fixes every ${s.intervalS} s over the last ${span((s.steps.length - 1) * s.intervalS)}:`)} ${s.description}`,
      );
    } else if (machine.state === 'running' && machine.device) {
      this.byImei.set(machine.device.tracker.imei, machine);
    } else if (machine.state === 'failed') {
      this.settled.add(machine);
      this.line(this.p.red(`✗ ${name} failed: ${machine.error ?? 'unknown error'}`));
    }
    // A machine that is done is reported once its last fixes are read back (next poll).
  }

  /** Machine label: the scenario it plays and its round. */
  private nameOf(machine: DemoMachine): string {
    return `${machine.scenario.name} #${machine.round}`;
  }

  private async poll(): Promise<void> {
    for (const alert of await this.watch.newAlerts()) this.alert(alert);
    for (const machine of this.machines) {
      if (this.settled.has(machine) || !machine.device) continue;
      const progress = await this.watch.progress(machine.device.tracker.imei);
      const where = progress.last
        ? describeZones(this.watch.zonesAt(progress.last.lat, progress.last.lon))
        : 'no fix yet';
      this.whereabouts.set(machine, { stored: progress.stored, where });
      if (machine.state === 'done') {
        this.settled.add(machine);
        this.line(
          `${this.p.dim('■')} ${this.nameOf(machine)} done: ${progress.stored} fixes stored, last at ${where}`,
        );
      }
    }
    this.flushDeliveries(Date.now());
    this.redraw();
  }

  delivered(delivery: DemoDelivery): void {
    this.totals.delivered++;
    if (delivery.verified) this.totals.verified++;
    if (delivery.type.endsWith('.updated')) return;
    const key = `${delivery.type}|${delivery.subject}`;
    const group = this.deliveries.get(key) ?? {
      type: delivery.type,
      subject: delivery.subject,
      agencies: new Set<string>(),
      verified: true,
      firstAt: Date.now(),
    };
    group.agencies.add(delivery.agency);
    group.verified &&= delivery.verified;
    this.deliveries.set(key, group);
  }

  private alert(event: AlertEvent): void {
    const machine = this.byImei.get(event.imei);
    const label = machine ? this.nameOf(machine) : `tracker ${event.imei}`;
    const text = formatAlert(event, label, this.p);
    if (!text) return;
    const change = event.type.split('.')[1];
    if (change === 'opened') {
      if (event.zoneKind === 'integrity' || event.type.startsWith('integrity.')) this.totals.integrity++;
      else if (event.severity === 'warning') this.totals.warnings++;
      else this.totals.violations++;
    } else if (change === 'closed') this.totals.closed++;
    this.shownAlerts.add(`${event.type}|${event.violationId}`);
    const integrity = event.zoneKind === 'integrity' || event.type.startsWith('integrity.');
    this.alertLabels.set(
      event.violationId,
      integrity ? `${label}, ${event.ruleId}` : `${label}, ${event.zoneName}`,
    );
    this.line(text);
  }

  private flushDeliveries(now: number): void {
    for (const [key, group] of this.deliveries) {
      const age = now - group.firstAt;
      if (age < DELIVERY_GATHER_MS || (!this.shownAlerts.has(key) && age < DELIVERY_WAIT_MS)) continue;
      this.deliveries.delete(key);
      const agencies = [...group.agencies].sort().join(', ');
      const check = group.verified ? 'signature verified' : this.p.red('signature NOT verified');
      const about = this.alertLabels.get(group.subject);
      this.pending.push(
        `${' '.repeat(9)}${this.p.dim(`↳ ${group.type}${about ? ` (${about})` : ''} delivered to ${agencies} (demo webhooks, ${check})`)}\n`,
      );
    }
  }

  private block(): string[] {
    const t = this.totals;
    const stored = [...this.whereabouts.values()].reduce((n, w) => n + w.stored, 0);
    const f = this.fleetStats;
    const sent = f ? `${f.fixesSent} fixes sent, ${f.fixesAcked} acknowledged, ` : '';
    const header =
      `${this.p.bold('Demo fleet')} round ${this.round} · ${this.machines.length} machines · ` +
      `${sent}${stored} stored · opened ${this.p.red(`${t.violations} violations`)}, ` +
      `${this.p.yellow(`${t.warnings} warnings`)}, ${this.p.magenta(`${t.integrity} integrity`)} · ` +
      `closed ${t.closed} · ${t.delivered} webhook deliveries`;
    const rows = this.machines
      .filter((m) => m.round === this.round)
      .map((m) => {
        const total = m.scenario.steps.length;
        const filled = Math.round((m.ticks / total) * 10);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(10 - filled)}`;
        const seen = this.whereabouts.get(m);
        const state =
          m.state === 'enrolling'
            ? this.p.dim('enrolling…')
            : m.state === 'failed'
              ? this.p.red('failed')
              : `${String(seen?.stored ?? 0).padStart(4)} stored  ${seen?.where ?? ''}`;
        return `  ${m.scenario.name.padEnd(27)} ${m.scenario.category.padEnd(9)} ${bar} ${String(m.ticks).padStart(3)}/${String(total).padEnd(3)} ${state}`;
      });
    return ['', header, ...rows];
  }

  private clearBlock(): void {
    if (this.out.isTTY && this.blockHeight > 0) this.out.write(`\x1b[${this.blockHeight}F\x1b[J`);
    this.blockHeight = 0;
  }

  private redraw(): void {
    if (!this.out.isTTY) {
      if (this.pending.length > 0) this.out.write(this.pending.splice(0).join(''));
      return;
    }
    if (!this.timer && this.blockHeight === 0 && this.pending.length === 0) return;
    const width = Math.max(40, this.out.columns ?? 100);
    const block = this.timer ? this.block().map((l) => fit(l, width)) : [];
    const events = this.pending.splice(0).map((l) => `${fit(l.replace(/\n$/, ''), width)}\n`);
    const up = this.blockHeight > 0 ? `\x1b[${this.blockHeight}F\x1b[J` : '';
    this.out.write(`${up}${events.join('')}${block.map((l) => `${l}\n`).join('')}`);
    this.blockHeight = block.length;
  }
}
