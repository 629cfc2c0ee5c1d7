import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Repositories } from '@app/db';
import { MachineCategory } from '@app/registry';
import {
  ActiveIndexLookup,
  DeviceState,
  Fix,
  RuleEvent,
  RuleSet,
  StreamParams,
  VerdictEvent,
  initialState,
  parseState,
  step,
  streamParams,
} from '@app/rules';
import { DecodedFix } from '@app/telemetry';
import { ZoneCatalogueService } from '../../registry-api/src/zones/zone-catalogue.service';
import { DeviceStateStore, MemoryDeviceStateStore, RedisDeviceStateStore } from './device-state.store';

export interface MachineOfTracker {
  readonly id: string;
  readonly category: string;
}

export interface Evaluation {
  /** The device × machine the state belongs to: a tracker moved to another machine starts afresh. */
  readonly stateKey: string;
  readonly state: string;
  readonly events: RuleEvent[];
}

/**
 * Runs a tracker's trusted fixes through the streaming rules and turns verdicts into violations and outbox
 * events, inside the caller's transaction; the device's state is saved by `commit` once that transaction is.
 */
@Injectable()
export class RulesEvaluator implements OnModuleDestroy {
  private readonly logger = new Logger('Rules');
  private readonly lookup: ActiveIndexLookup;
  private readonly rules = new RuleSet();
  private readonly params: StreamParams = streamParams();
  private readonly states: DeviceStateStore;

  constructor(
    private readonly catalogue: ZoneCatalogueService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.lookup = new ActiveIndexLookup(catalogue.engine);
    this.states = config.redisUrl ? new RedisDeviceStateStore(config.redisUrl) : new MemoryDeviceStateStore();
  }

  async evaluate(
    repos: Repositories,
    imei: string,
    machine: MachineOfTracker,
    fixes: readonly DecodedFix[],
  ): Promise<Evaluation | undefined> {
    const trusted = fixes
      .filter((f) => f.trusted)
      .sort((a, b) => a.deviceTime.getTime() - b.deviceTime.getTime());
    if (trusted.length === 0) return undefined;
    if (!this.catalogue.engine.index) {
      this.logger.warn(`zone index not ready: fixes of ${imei} stored, not evaluated`);
      return undefined;
    }
    const stateKey = `${imei}:${machine.id}`;
    const stored = await this.states.get(stateKey);
    let state: DeviceState = stored ? parseState(stored) : initialState(imei);
    const events: RuleEvent[] = [];
    const context = {
      machine: { machineId: machine.id, category: machine.category as MachineCategory },
      lookup: this.lookup,
      rules: this.rules,
      params: this.params,
    };
    for (const fix of trusted) {
      const result = step(state, toRuleFix(imei, fix), context);
      state = result.state;
      events.push(...result.events);
    }
    for (const event of events) await this.apply(repos, imei, event);
    return { stateKey, state: JSON.stringify(state), events };
  }

  /** After the transaction committed: the next message of this tracker continues from this state. */
  async commit(evaluation: Evaluation | undefined): Promise<void> {
    if (evaluation) await this.states.set(evaluation.stateKey, evaluation.state);
  }

  async onModuleDestroy(): Promise<void> {
    await this.states.close();
  }

  private async apply(repos: Repositories, imei: string, event: RuleEvent): Promise<void> {
    switch (event.type) {
      case 'verdict_open':
        await this.open(repos, imei, event, event.episodeId, false);
        return;
      case 'verdict_update':
      case 'verdict_close': {
        const row = await repos.violations.findByEpisode(imei, event.episodeId, event.ruleId);
        if (!row) return;
        const closing = event.type === 'verdict_close';
        const updated = await repos.violations.update(row.id, {
          lastSeenAt: new Date(event.at),
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
        await repos.violations.addOutboxEvent('violation.updated', 'violation', row.id, {
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
              zoneId: event.zoneId,
              zone: event.zone,
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
    const zone = event.zone ?? this.lookup.zone(event.zoneId);
    const row = await repos.violations.open({
      machineId: event.machineId,
      imei,
      zoneId: event.zoneId,
      zoneName: zone?.name ?? event.zoneId,
      zoneKind: zone?.kind ?? 'unknown',
      ruleId: event.ruleId,
      severity: event.verdict,
      legalBasis: event.legalBasis,
      description: crossing ? `${event.description} (crossed between two fixes)` : event.description,
      catalogueVersion: event.catalogueVersion,
      episodeId,
      startedAt: new Date(event.since),
      confirmedAt: new Date(event.confirmedAt),
      lastSeenAt: new Date(event.at),
      late: event.late,
      delayMs: event.delayMs,
      confirmingFixes: event.fixes,
    });
    if (row) await repos.violations.addOutboxEvent('violation.opened', 'violation', row.id, row);
    return row?.id;
  }
}

function toRuleFix(imei: string, fix: DecodedFix): Fix {
  return {
    deviceId: imei,
    id: `${imei}@${fix.deviceTime.toISOString()}`,
    time: fix.deviceTime.getTime(),
    receivedAt: fix.receivedAt.getTime(),
    lat: fix.lat,
    lon: fix.lon,
    ...(fix.speedKmh !== undefined ? { speedKmh: fix.speedKmh } : {}),
    ...(fix.ignition !== undefined ? { ignition: fix.ignition } : {}),
    ...(fix.hdop !== undefined ? { hdop: fix.hdop } : {}),
    ...(fix.satellites !== undefined ? { satellites: fix.satellites } : {}),
    ...(fix.towing !== undefined ? { towed: fix.towing } : {}),
  };
}
