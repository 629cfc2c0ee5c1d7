import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '@app/geofence';
import { OpenViolation, Repositories, ViolationRow, ViolationZone } from '@app/db';
import { DeclaredUse, MachineCategory } from '@app/registry';
import {
  ActiveIndexLookup,
  Gazetteer,
  DeviceState,
  Fix,
  RuleEvent,
  RuleSet,
  StreamParams,
  VerdictEvent,
  ZoneHit,
  initialState,
  populatedPlaces,
  step,
  streamParams,
} from '@app/rules';
import { ZoneCatalogueService } from '@app/zones';
import { LiveState } from './live-state';
import { firstPositionOf, placeAt } from './place';

export interface MachineOfTracker {
  readonly id: string;
  readonly category: string;
  /** Null: enrolled before uses were declared; unknown. */
  readonly declaredUse: DeclaredUse | null;
}

/**
 * Runs a tracker's trusted fixes through the streaming rules and turns verdicts into violations and outbox
 * events, inside the caller's transaction. The rule state is part of the tracker's live state, which the caller
 * keeps once that transaction has committed.
 */
@Injectable()
export class RulesEvaluator {
  private readonly logger = new Logger('Rules');
  /** The active geofence index as the rules (and the integrity detectors' zone proximity) ask it. */
  readonly lookup: ActiveIndexLookup;
  private readonly rules = new RuleSet();
  /** Populated places, to name where a machine is when a verdict is about a whole department. */
  private readonly places = loadPlaces();
  readonly params: StreamParams;

  constructor(
    private readonly catalogue: ZoneCatalogueService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.lookup = new ActiveIndexLookup(catalogue.engine);
    this.params = streamParams({ dwellEveryMs: config.violationUpdateSeconds * 1000 });
  }

  get ready(): boolean {
    return this.catalogue.engine.index !== undefined && this.catalogue.engine.index !== null;
  }

  /**
   * Writes what the verdicts of `fold` change: violations and their outbox events. Each tracker's opening
   * verdicts that come before its other writes are written together for the whole batch (one statement each for
   * the violations and their events); the rest follow one by one, in each tracker's order.
   */
  async write(
    repos: Repositories,
    batch: readonly { imei: string; events: readonly RuleEvent[] }[],
  ): Promise<void> {
    const opening: { imei: string; event: VerdictEvent }[] = [];
    const rest: { imei: string; event: RuleEvent }[] = [];
    for (const { imei, events } of batch) {
      let i = 0;
      for (; i < events.length; i++) {
        const event = events[i] as RuleEvent;
        if (event.type === 'verdict_open') opening.push({ imei, event });
        else if (writes(event)) break;
      }
      for (; i < events.length; i++) rest.push({ imei, event: events[i] as RuleEvent });
    }
    await this.openAll(repos, opening);
    for (const { imei, event } of rest) await this.apply(repos, imei, event);
  }

  private async openAll(repos: Repositories, opening: readonly { imei: string; event: VerdictEvent }[]) {
    if (opening.length === 0) return;
    const since = Math.min(...opening.map(({ event }) => event.since));
    const current: CaseRow[] = await repos.violations.currentOf(
      opening.map(({ event }) => event.machineId),
      new Date(since),
    );
    const inputs: OpenViolation[] = [];
    for (const { imei, event } of opening) {
      const continued = current.find(
        (row) => row.machine_id === event.machineId && row.rule_id === event.ruleId && row.status === 'open',
      );
      if (continued) {
        if (continued.episode_id !== event.episodeId)
          await repos.violations.rebindEpisode(continued.id, event.episodeId);
        continue;
      }
      const incidentId = this.incidentOf(current, event) ?? randomUUID();
      const input = this.violationInput(imei, event, event.episodeId, false, incidentId);
      inputs.push(input);
      current.push(pendingRow(input, incidentId));
    }
    const rows = await repos.violations.openMany(inputs);
    await repos.violations.addOutboxEvents(
      rows.map((row) => ({
        type: 'violation.opened',
        aggregateType: 'violation',
        aggregateId: row.id,
        payload: row,
      })),
    );
    const opened = new Set(rows.map((row) => `${row.imei}|${row.episode_id}|${row.rule_id}`));
    for (const input of inputs)
      if (!opened.has(`${input.imei}|${input.episodeId}|${input.ruleId}`))
        await this.continueOpen(repos, input.machineId, input.ruleId, input.episodeId);
  }

  /**
   * The incident of the machine's violation, under another legal basis of these rules, whose time overlaps the
   * event's episode so far: the same act seen by two rules (a dredge on a river inside a national reserve).
   */
  private incidentOf(
    rows: readonly Pick<
      ViolationRow,
      'machine_id' | 'rule_id' | 'started_at' | 'closed_at' | 'incident_id'
    >[],
    event: { machineId: string; ruleId: string; since: number; confirmedAt: number },
  ): string | undefined {
    return rows.find(
      (row) =>
        row.machine_id === event.machineId &&
        row.rule_id !== event.ruleId &&
        this.rules.rule(row.rule_id) !== undefined &&
        row.started_at.getTime() <= event.confirmedAt &&
        (row.closed_at === null || row.closed_at.getTime() >= event.since),
    )?.incident_id;
  }

  /**
   * Steps fixes through the rules, in memory: the events are for `write` inside the transaction storing the
   * fixes, or dropped when a live state is rebuilt from stored positions (their verdicts were written when the
   * fixes first arrived).
   */
  fold(state: LiveState, machine: MachineOfTracker, fixes: readonly Fix[]): RuleEvent[] {
    if (fixes.length === 0) return [];
    if (!this.ready) {
      this.logger.warn(`zone index not ready: fixes of ${state.imei} stored, not evaluated`);
      return [];
    }
    if (state.machineId !== machine.id) {
      state.machineId = machine.id;
      state.rules = undefined;
    }
    let rules: DeviceState = state.rules ?? initialState(state.imei);
    const events: RuleEvent[] = [];
    const context = {
      machine: {
        machineId: machine.id,
        category: machine.category as MachineCategory,
        declaredUse: machine.declaredUse,
      },
      lookup: this.lookup,
      rules: this.rules,
      params: this.params,
    };
    for (const fix of [...fixes].sort((a, b) => a.time - b.time)) {
      const result = step(rules, fix, context);
      rules = result.state;
      events.push(...result.events);
    }
    state.rules = rules;
    return events;
  }

  /**
   * The violation an event is about: by its episode, or else the machine's open one for the zone and rule (after
   * a rebuild of the live state the episodes are numbered afresh).
   */
  private async violationOf(
    repos: Repositories,
    imei: string,
    event: { episodeId: string; ruleId: string; machineId: string },
  ): Promise<ViolationRow | undefined> {
    return (
      (await repos.violations.findByEpisode(imei, event.episodeId, event.ruleId)) ??
      (await repos.violations.openOfRule(event.machineId, event.ruleId))
    );
  }

  private async apply(repos: Repositories, imei: string, event: RuleEvent): Promise<void> {
    switch (event.type) {
      case 'verdict_open':
        await this.open(repos, imei, event, event.episodeId, false);
        return;
      case 'verdict_update':
      case 'verdict_close': {
        const row = await this.violationOf(repos, imei, event);
        if (!row) return;
        const closing = event.type === 'verdict_close';
        const updated = await repos.violations.update(row.id, {
          lastSeenAt: new Date(event.at),
          zones: mergeZones(row.zones, event.zones),
          ...(closing ? { status: 'closed', closedAt: new Date(event.at) } : {}),
        });
        await repos.violations.addOutboxEvent(
          closing ? 'violation.closed' : 'violation.updated',
          'violation',
          row.id,
          updated,
        );
        return;
      }
      case 'revised': {
        if (event.subject !== 'verdict' || !event.ruleId) return;
        const row = await repos.violations.findByEpisode(imei, event.episodeId, event.ruleId);
        if (!row) return;
        const updated = await repos.violations.update(row.id, {
          startedAt: new Date(event.since),
          ...(event.changes.includes('retracted')
            ? { status: 'retracted', closedAt: new Date(event.until ?? event.since) }
            : {}),
          ...(event.changes.includes('exit_revoked') ? { status: 'open', closedAt: null } : {}),
          ...(event.changes.includes('end_moved') && event.until !== undefined
            ? { closedAt: new Date(event.until) }
            : {}),
        });
        const type = event.changes.includes('retracted') ? 'violation.retracted' : 'violation.updated';
        await repos.violations.addOutboxEvent(type, 'violation', row.id, {
          ...updated,
          revision: event.changes,
        });
        return;
      }
      case 'crossing':
        for (const verdict of event.verdicts) {
          const opened = await this.open(
            repos,
            imei,
            {
              ...verdict,
              type: 'verdict_open',
              deviceId: event.deviceId,
              machineId: event.machineId,
              detectedAt: event.detectedAt,
              catalogueVersion: event.catalogueVersion,
              episodeId: `crossing-${event.zoneId}-${event.at}`,
              zoneId: verdict.zones[0]?.id ?? event.zoneId,
              zone: verdict.zones[0] ?? event.zone,
              zones: verdict.zones,
              at: event.at,
              since: event.at,
              confirmedAt: event.at,
              dwellMs: 0,
              delayMs: event.delayMs,
              late: event.late,
              fixes: [event.from, event.to],
            },
            `crossing-${event.zoneId}-${event.at}`,
            true,
          );
          if (opened) {
            const closed = await repos.violations.update(opened, {
              status: 'closed',
              closedAt: new Date(event.at),
            });
            await repos.violations.addOutboxEvent('violation.closed', 'violation', opened, closed);
          }
        }
        return;
      default:
        return;
    }
  }

  private async open(
    repos: Repositories,
    imei: string,
    event: VerdictEvent,
    episodeId: string,
    crossing: boolean,
  ): Promise<string | undefined> {
    const current = await repos.violations.currentOf([event.machineId], new Date(event.since));
    const continued = current.find((row) => row.rule_id === event.ruleId && row.status === 'open');
    if (continued) {
      if (!crossing && continued.episode_id !== episodeId)
        await repos.violations.rebindEpisode(continued.id, episodeId);
      return undefined;
    }
    const incidentId = this.incidentOf(current, event) ?? randomUUID();
    const row = await repos.violations.open(
      this.violationInput(imei, event, episodeId, crossing, incidentId),
    );
    if (row) {
      await repos.violations.addOutboxEvent('violation.opened', 'violation', row.id, row);
      return row.id;
    }
    if (!crossing) await this.continueOpen(repos, event.machineId, event.ruleId, episodeId);
    return undefined;
  }

  /** Already open for this machine and rule (one case each): the new episode continues it. */
  private async continueOpen(
    repos: Repositories,
    machineId: string,
    ruleId: string,
    episodeId: string,
  ): Promise<void> {
    const open = await repos.violations.openOfRule(machineId, ruleId);
    if (open && open.episode_id !== episodeId) await repos.violations.rebindEpisode(open.id, episodeId);
  }

  /**
   * A department-wide verdict (outside the mining corridor) names where the machine is — the nearest populated
   * place, its district and province, at the first confirming fix — not the department as if it were the place.
   */
  private placeName(zone: ZoneHit | undefined, event: VerdictEvent): string | undefined {
    if (zone?.kind !== 'jurisdiction') return undefined;
    const fix = event.fixes[0];
    if (!fix) return undefined;
    return this.places.describe(fix.lat, fix.lon, zone.department ?? zone.name);
  }

  private violationInput(
    imei: string,
    event: VerdictEvent,
    episodeId: string,
    crossing: boolean,
    incidentId: string,
  ): OpenViolation {
    const zone = event.zone ?? this.lookup.zone(event.zoneId);
    const zones = event.zones.length > 0 ? event.zones : zone ? [zone] : [];
    return {
      machineId: event.machineId,
      imei,
      zoneId: event.zoneId,
      zoneName: this.placeName(zone, event) ?? zone?.name ?? event.zoneId,
      zoneKind: zone?.kind ?? 'unknown',
      ruleId: event.ruleId,
      severity: event.verdict,
      legalBasis: event.legalBasis,
      title: event.title,
      titleEn: event.titleEn,
      description: crossing ? `${event.description} (cruzado entre dos posiciones)` : event.description,
      descriptionEn: crossing ? `${event.descriptionEn} (crossed between two fixes)` : event.descriptionEn,
      catalogueVersion: event.catalogueVersion,
      episodeId,
      startedAt: new Date(event.since),
      confirmedAt: new Date(event.confirmedAt),
      lastSeenAt: new Date(event.at),
      late: event.late,
      delayMs: event.delayMs,
      confirmingFixes: event.fixes,
      ...placeAt(this.lookup, firstPositionOf(event.fixes)),
      zones: zones.map(violationZone),
      incidentId,
    };
  }
}

/** The shipped populated places (`data/peru/populated-places-madre-de-dios.geojson`); none if absent. */
function loadPlaces(): Gazetteer {
  const file = join(defaultDataDir(), 'populated-places-madre-de-dios.geojson');
  if (!existsSync(file)) return new Gazetteer([]);
  return new Gazetteer(populatedPlaces(JSON.parse(readFileSync(file, 'utf8'))));
}

function violationZone(zone: ZoneHit): ViolationZone {
  return zone.layer === undefined
    ? { id: zone.id, name: zone.name, kind: zone.kind }
    : { id: zone.id, name: zone.name, kind: zone.kind, layer: zone.layer };
}

/** The zones a violation lists so far, with those of a later event of its episode. */
function mergeZones(listed: readonly ViolationZone[], seen: readonly ZoneHit[]): ViolationZone[] {
  const out = [...listed];
  for (const zone of seen) if (!out.some((z) => z.id === zone.id)) out.push(violationZone(zone));
  return out;
}

/** What the incident lookup reads of a violation. */
type CaseRow = Pick<
  ViolationRow,
  'machine_id' | 'rule_id' | 'started_at' | 'closed_at' | 'incident_id' | 'status' | 'id' | 'episode_id'
>;

/** A violation about to be opened, as the incident lookup of the rest of its batch sees it. */
function pendingRow(input: OpenViolation, incidentId: string): CaseRow {
  return {
    id: '',
    machine_id: input.machineId,
    rule_id: input.ruleId,
    started_at: input.startedAt,
    closed_at: null,
    incident_id: incidentId,
    status: 'pending',
    episode_id: input.episodeId,
  };
}

/** Whether the event changes a violation (the others are the rules' own bookkeeping). */
function writes(event: RuleEvent): boolean {
  switch (event.type) {
    case 'verdict_open':
    case 'verdict_update':
    case 'verdict_close':
    case 'crossing':
      return true;
    case 'revised':
      return event.subject === 'verdict';
    default:
      return false;
  }
}
