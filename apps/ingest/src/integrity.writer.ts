import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OpenViolation, Repositories, ViolationRow } from '@app/db';
import {
  DeclaredWindow,
  IntegrityContext,
  IntegrityEvent,
  INTEGRITY_TITLES,
  IntegrityMachine,
  IntegrityParams,
  IntegrityResult,
  IntegrityState,
  SampledZoneProximity,
  declaredWindow,
  initialIntegrityState,
  integrityParams,
  openAlerts,
} from '@app/integrity';
import { MachineCategory } from '@app/registry';
import { LiveState } from './live-state';
import { AlertPlace, NOWHERE, placeAt } from './place';
import { RulesEvaluator } from './rules.evaluator';


/** The declared windows given to the detectors: those overlapping the last 30 days up to a day ahead. */
const WINDOWS_BEHIND_MS = 30 * 24 * 3600_000;
const WINDOWS_AHEAD_MS = 24 * 3600_000;

/** A run of the detectors over one tracker's state: its fixes and status messages, or a sweep. */
export type IntegrityRun = (state: IntegrityState, ctx: IntegrityContext) => IntegrityResult<IntegrityState>;

/**
 * Runs the integrity detectors (`@app/integrity`) for ingest and writes their alerts as `violations` rows
 * (`zone_kind = 'integrity'`) with `integrity.*` outbox events, inside the caller's transaction.
 *
 * The machine's declared windows are read only when they can matter: for machines that have windows in force
 * (a set refreshed with every sweep) and for trackers with an alert open, both rare; the common path asks the
 * database nothing.
 */
@Injectable()
export class IntegrityWriter {
  readonly params: IntegrityParams;
  private readonly zones: SampledZoneProximity;
  private readonly refreshEveryMs: number;
  private windowMachines = new Set<string>();
  private windowMachinesAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly rules: RulesEvaluator,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Configurations built by hand (tests) may leave the text out: the library's default then.
    this.params = integrityParams(
      config.integrityLegalBasis ? { legalBasis: config.integrityLegalBasis } : {},
    );
    this.zones = new SampledZoneProximity(rules.lookup);
    this.refreshEveryMs = config.integritySweepSeconds * 1000;
  }

  /**
   * The machine as the detectors see it, with the tracker's configured reporting intervals; `current` itself when
   * it already says so (ingest asks at every message).
   */
  machineOf(
    machine: { id: string; category: string },
    intervals: { intervalMovingSeconds?: number; intervalIgnitionOffSeconds?: number },
    current?: IntegrityMachine,
  ): IntegrityMachine {
    const movingMs = intervals.intervalMovingSeconds ? intervals.intervalMovingSeconds * 1000 : undefined;
    const ignitionOffMs = intervals.intervalIgnitionOffSeconds
      ? intervals.intervalIgnitionOffSeconds * 1000
      : undefined;
    if (
      current?.machineId === machine.id &&
      current.category === machine.category &&
      current.reportingIntervalMs === movingMs &&
      current.reportingIntervalIgnitionOffMs === ignitionOffMs
    )
      return current;
    return {
      machineId: machine.id,
      category: machine.category as MachineCategory,
      ...(movingMs ? { reportingIntervalMs: movingMs } : {}),
      ...(ignitionOffMs ? { reportingIntervalIgnitionOffMs: ignitionOffMs } : {}),
    };
  }

  /**
   * A fresh state for a tracker. Alert ids continue from `now` so that they never repeat those of alerts opened
   * before the state was lost (as the rules number their episodes).
   */
  fresh(imei: string, now: number): IntegrityState {
    const state = initialIntegrityState(imei);
    state.seq = now;
    return state;
  }

  context(imei: string, machine: IntegrityMachine, windows: readonly DeclaredWindow[]): IntegrityContext {
    return { deviceId: imei, machine, params: this.params, windows, zones: this.zones };
  }

  /**
   * Whether the tracker's run needs its machine's declared windows: the machine has windows in force (as of the
   * last refresh) or the tracker has an alert open (its severity is judged again at every observation).
   */
  needsWindows(live: LiveState): boolean {
    if (!live.machine || !live.integrity) return false;
    return this.windowMachines.has(live.machine.machineId) || openAlerts(live.integrity).length > 0;
  }

  /**
   * Reads which machines have declared windows in force, at most once per sweep interval unless forced (the
   * sweep forces it): one small query a minute instead of one per batch.
   */
  async refreshWindowMachines(repos: Repositories, now: number, force = false): Promise<void> {
    if (!force && now - this.windowMachinesAt < this.refreshEveryMs && now >= this.windowMachinesAt) return;
    const machines = await repos.declaredWindows.machinesWithActive(
      new Date(now - WINDOWS_BEHIND_MS),
      new Date(now + WINDOWS_AHEAD_MS),
    );
    this.windowMachines = new Set(machines);
    this.windowMachinesAt = now;
  }

  runWith(live: LiveState, windows: readonly DeclaredWindow[], run: IntegrityRun): IntegrityEvent[] {
    if (!live.integrity || !live.machine) return [];
    const result = run(live.integrity, this.context(live.imei, live.machine, windows));
    live.integrity = result.state;
    return result.events;
  }

  /** The declared windows in force of each machine, around platform time `now`. */
  async windowsOf(
    repos: Repositories,
    machineIds: readonly string[],
    now: number,
  ): Promise<Map<string, DeclaredWindow[]>> {
    const from = new Date(now - WINDOWS_BEHIND_MS);
    const to = new Date(now + WINDOWS_AHEAD_MS);
    const windows = new Map<string, DeclaredWindow[]>();
    for (const machineId of new Set(machineIds)) {
      const rows = await repos.declaredWindows.activeOverlapping(machineId, from, to);
      windows.set(
        machineId,
        rows.map((row) =>
          declaredWindow({
            id: row.id,
            kind: row.kind,
            from: row.starts_at,
            to: row.ends_at,
            reason: row.reason,
          }),
        ),
      );
    }
    return windows;
  }

  /** Writes the events in order (one tracker's open, update and close of an alert may come in one batch). */
  async write(repos: Repositories, events: readonly IntegrityEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'integrity_open') await this.open(repos, event);
      else await this.change(repos, event);
    }
  }

  private async open(repos: Repositories, event: IntegrityEvent): Promise<void> {
    const row = await repos.violations.open({
      ...this.violationInput(event),
      ...(await this.placeOf(repos, event)),
    });
    if (row) {
      await repos.violations.addOutboxEvent('integrity.opened', 'violation', row.id, payload(row, event));
      return;
    }
    // Already open for this machine and kind (the state was rebuilt and the alert raised again): continue it.
    const open = await repos.violations.openOf(event.machineId, zoneIdOf(event), event.ruleId);
    if (open && open.episode_id !== event.alertId) {
      await repos.violations.rebindEpisode(open.id, event.alertId);
      await this.change(repos, { ...event, type: 'integrity_update' });
    }
  }

  private async change(repos: Repositories, event: IntegrityEvent): Promise<void> {
    const row =
      (await repos.violations.findByEpisode(event.deviceId, event.alertId, event.ruleId)) ??
      (await repos.violations.openOf(event.machineId, zoneIdOf(event), event.ruleId));
    if (!row) return;
    const closing = event.type === 'integrity_close' || event.retracted === true;
    const updated = await repos.violations.update(row.id, {
      startedAt: new Date(event.since),
      lastSeenAt: new Date(event.at),
      severity: event.severity,
      description: event.description,
      descriptionEn: event.descriptionEn,
      confirmingFixes: event.evidence,
      ...(closing ? { status: event.retracted ? 'retracted' : 'closed', closedAt: new Date(event.at) } : {}),
    });
    if (!updated) return;
    await repos.violations.addOutboxEvent(
      event.retracted
        ? 'integrity.retracted'
        : event.type === 'integrity_close'
          ? 'integrity.closed'
          : 'integrity.updated',
      'violation',
      row.id,
      payload(updated, event),
    );
  }

  /**
   * Where the alert is: the tracker's last trusted position, never a suspect fix. Spoofing and jamming alerts are
   * about the fixes they quote, so the place is taken from before the first of them; the others (went dark,
   * power cut, tamper) from the last trusted fix up to the moment the condition started.
   */
  private async placeOf(repos: Repositories, event: IntegrityEvent): Promise<AlertPlace> {
    const suspectFixes = event.kind === 'spoofing' || event.kind === 'gnss_jamming';
    const before = suspectFixes
      ? Math.min(event.since, ...event.evidence.map((fix) => fix.deviceTime))
      : Math.max(event.since, event.at);
    const position = await repos.positions.lastTrusted(event.deviceId, new Date(before), suspectFixes);
    return position ? placeAt(this.rules.lookup, position) : NOWHERE;
  }

  private violationInput(event: IntegrityEvent): OpenViolation {
    const delayMs = Math.max(0, event.detectedAt - event.at);
    return {
      machineId: event.machineId,
      imei: event.deviceId,
      zoneId: zoneIdOf(event),
      zoneName: INTEGRITY_TITLES[event.kind].es,
      zoneKind: 'integrity',
      ruleId: event.ruleId,
      severity: event.severity,
      legalBasis: event.legalBasis,
      title: INTEGRITY_TITLES[event.kind].es,
      titleEn: INTEGRITY_TITLES[event.kind].en,
      description: event.description,
      descriptionEn: event.descriptionEn,
      catalogueVersion: this.rules.lookup.catalogueVersion || 'integrity',
      episodeId: event.alertId,
      startedAt: new Date(event.since),
      confirmedAt: new Date(event.at),
      lastSeenAt: new Date(event.at),
      late: delayMs > this.rules.params.lateAfterMs,
      delayMs,
      confirmingFixes: event.evidence,
    };
  }
}

function zoneIdOf(event: IntegrityEvent): string {
  return `integrity:${event.kind}`;
}

/** The outbox payload: the row, with what the detectors said beyond its columns. */
function payload(row: ViolationRow, event: IntegrityEvent) {
  return {
    ...row,
    integrity: {
      kind: event.kind,
      alertId: event.alertId,
      cause: event.cause,
      detectedSeverity: event.detectedSeverity,
      detectedAt: new Date(event.detectedAt).toISOString(),
      details: event.details,
      ...(event.downgradedBy ? { downgradedBy: event.downgradedBy } : {}),
      ...(event.retracted ? { retracted: true } : {}),
    },
  };
}
