import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AgencyChannelRow, AgencyRow, DATABASE, Database, DeliveryRow, NewDelivery, Store } from '@app/db';
import {
  ANCHOR_MAX_HEADS,
  EVIDENCE_ANCHOR_EVENT,
  EvidenceAnchor,
  FIRST_ANCHOR_PREVIOUS,
  RetryPolicy,
  SignedAnchor,
  cloudEvent,
  signAnchor,
  SentState,
  isAlertEventType,
  isUpdateEvent,
  nextAttempt,
  recipients,
  stableEventId,
  toSubscription,
  updateWorthSending,
} from '@app/dispatch';
import { EvidenceService, alertContexts, violationView } from '@app/evidence';
import { AgencyAlertPublisher, AttemptResult, WebhookSender } from './channels';

export interface DispatchCounters {
  outboxEvents: number;
  deliveriesCreated: number;
  delivered: number;
  failedAttempts: number;
  deadLettered: number;
  escalated: number;
  sealedLinks: number;
  /** `*.updated` events not sent: too soon after the last one of their alert, with nothing new that matters. */
  updatesHeldBack: number;
  /** Change notifications that woke the dispatcher for new work. */
  woken: number;
  /** `evidence.anchor` events this instance made. */
  anchors: number;
}

const SYSTEM = { id: null, username: 'system' };
/** Violations whose evidence is resealed periodically: open ones, and those changed within this time. */
const RESEAL_WITHIN_SECONDS = 7 * 24 * 3600;
const RESEAL_EVERY_MS = 10_000;
const ANCHOR_CHECK_EVERY_MS = 60_000;
/** The longest a dispatcher that hears change notifications sleeps: it still reseals evidence at this pace. */
const LONGEST_SLEEP_MS = RESEAL_EVERY_MS;
/** Notified (after commit) when there is new work: outbox events written, dead letters put back in the queue. */
export const DISPATCH_WORK_CHANNEL = 'dispatch_work';

/**
 * The dispatcher: fans outbox events out into one delivery per agency channel, delivers them (webhooks,
 * MQTT) with retries and dead letters, escalates unacknowledged violations, and seals their evidence. Any
 * number of instances may run against one database: each claims rows with FOR UPDATE SKIP LOCKED and leases.
 */
@Injectable()
export class DispatchWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dispatcher');
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly counters: DispatchCounters = {
    outboxEvents: 0,
    deliveriesCreated: 0,
    delivered: 0,
    failedAttempts: 0,
    deadLettered: 0,
    escalated: 0,
    sealedLinks: 0,
    updatesHeldBack: 0,
    woken: 0,
    anchors: 0,
  };
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private running = false;
  /** Work was notified while a round ran: the next round starts at once. */
  private woken = false;
  /** Whether change notifications reach this instance; while they do not, it polls every DISPATCH_POLL_MS. */
  private listening = false;
  private stopListening: (() => Promise<void>) | undefined;
  private lastReseal = Date.now();
  private lastAnchorCheck = 0;
  private escalationLevels = 0;
  private readonly policy: RetryPolicy;
  private readonly updateIntervalMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: Store,
    @Inject(DATABASE) private readonly database: Database,
    private readonly evidence: EvidenceService,
    private readonly webhooks: WebhookSender,
    private readonly mqtt: AgencyAlertPublisher,
  ) {
    this.policy = {
      initialDelayMs: config.dispatchRetryInitialMs,
      maxDelayMs: config.dispatchRetryMaxMs,
      windowMs: config.dispatchRetryWindowSeconds * 1000,
    };
    this.updateIntervalMs = config.dispatchUpdateIntervalSeconds * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopListening = await this.database.listen(DISPATCH_WORK_CHANNEL, {
      listening: () => {
        this.listening = true;
        this.wake();
      },
      notified: () => {
        this.counters.woken++;
        this.wake();
      },
      lost: () => {
        this.listening = false;
      },
    });
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    // Deliveries in flight are abandoned, not recorded: their leases expire and another instance takes them over.
    this.shutdown.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.stopListening?.();
    await this.current?.catch(() => undefined);
  }

  /** New work was notified: a round starts now, or right after the one running. */
  private wake(): void {
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.shutdown.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.running = true;
      this.woken = false;
      this.current = this.tick()
        .then(async (busy) => (busy || this.woken ? 0 : await this.idleMs()))
        .catch((error: unknown) => {
          if (!this.shutdown.signal.aborted)
            this.logger.error(
              `dispatch round failed: ${error instanceof Error ? error.stack : String(error)}`,
            );
          return this.config.dispatchPollMs;
        })
        .then((delay) => {
          this.running = false;
          this.schedule(delay);
        });
    }, delayMs);
    this.timer.unref();
  }

  /**
   * How long to sleep when no work is left: until the next retry or escalation is due, or a notification wakes
   * this instance; every DISPATCH_POLL_MS while notifications cannot reach it.
   */
  private async idleMs(): Promise<number> {
    if (!this.listening) return this.config.dispatchPollMs;
    const repos = this.store.repos;
    const [attempt, escalation] = await Promise.all([
      repos.deliveries.msUntilNextAttempt(),
      this.escalationLevels === 0
        ? undefined
        : repos.violationCases.msUntilNextEscalation(
            this.config.dispatchEscalationSeconds,
            this.escalationLevels,
          ),
    ]);
    return Math.min(LONGEST_SLEEP_MS, attempt ?? Infinity, escalation ?? Infinity);
  }

  /** One round; true when there was a full batch of work, so the next round starts at once. */
  async tick(): Promise<boolean> {
    const fanned = await this.fanOut();
    if (this.shutdown.signal.aborted) return false;
    const escalated = await this.escalate();
    if (this.shutdown.signal.aborted) return false;
    const delivered = await this.deliverDue();
    if (Date.now() - this.lastReseal >= RESEAL_EVERY_MS) {
      this.lastReseal = Date.now();
      await this.resealRecent();
    }
    // Whether an anchor is due is decided by the database (the last anchor's time), looked at once a minute.
    const anchorCheckMs = Math.min(ANCHOR_CHECK_EVERY_MS, this.config.evidenceAnchorIntervalSeconds * 1000);
    if (anchorCheckMs > 0 && Date.now() - this.lastAnchorCheck >= anchorCheckMs) {
      this.lastAnchorCheck = Date.now();
      // A backlog of heads larger than one anchor goes out in consecutive anchors, one per round.
      if ((await this.anchorEvidence())?.anchor.more) this.lastAnchorCheck = 0;
    }
    const full = this.config.dispatchBatchSize;
    return fanned >= full || escalated >= full || delivered >= full;
  }

  /** Turns unpublished outbox events into deliveries, in the transaction that marks them published. */
  async fanOut(): Promise<number> {
    const { count, violations } = await this.store.transaction(async (repos) => {
      const events = await repos.deliveries.claimOutbox(this.config.dispatchBatchSize);
      if (events.length === 0) return { count: 0, violations: new Set<string>() };
      const subscriptions = (await repos.agencyChannels.subscriptions()).map(toSubscription);
      const channels = await repos.agencyChannels.channels();
      const agencies = new Map((await repos.agencies.list()).map((a) => [a.id, a]));
      const rows: NewDelivery[] = [];
      const touched = new Set<string>();
      /** What was last fanned out of each violation, this round included. */
      const sent = new Map<string, SentState | undefined>();
      for (const event of events) {
        if (event.type === EVIDENCE_ANCHOR_EVENT) {
          rows.push(...this.anchorDeliveries(event, agencies, channels));
          continue;
        }
        if (event.aggregate_type !== 'violation' || !isAlertEventType(event.type)) continue;
        const violation = await repos.violationCases.findById(event.aggregate_id);
        if (!violation) continue;
        touched.add(violation.id);
        const payload = (event.payload ?? {}) as Record<string, unknown>;
        const state: SentState = {
          at: new Date(event.created_at).getTime(),
          severity: String(payload['severity'] ?? violation.severity),
          workflowStatus: String(payload['workflow_status'] ?? violation.workflow_status),
        };
        if (!sent.has(violation.id)) {
          const last = await repos.deliveries.lastSent(violation.id);
          sent.set(violation.id, last && { ...last, at: last.at.getTime() });
        }
        if (
          isUpdateEvent(event.type) &&
          !updateWorthSending(sent.get(violation.id), state, this.updateIntervalMs)
        ) {
          this.counters.updatesHeldBack++;
          continue;
        }
        const machineDepartment =
          (await repos.violationCases.machineDepartment(violation.machine_id)) ?? null;
        const department = violation.department ?? machineDepartment;
        const level = Number(payload['escalation_level'] ?? violation.escalation_level);
        const alert = {
          zoneKind: violation.zone_kind,
          department,
          severity: violation.severity,
          escalationLevel: level,
        };
        // Agencies' systems receive a natural person's name only through the API, to officers (docs/dispatch.md).
        const context = (await alertContexts(repos, [{ ...payload, id: violation.id }], false)).get(
          violation.id,
        );
        const data = {
          ...violationView(payload, department, context),
          ...(payload['revision'] ? { revision: payload['revision'] } : {}),
        };
        const agencyIds = recipients(subscriptions, alert, machineDepartment);
        if (agencyIds.length > 0) sent.set(violation.id, state);
        for (const agencyId of agencyIds) {
          const agency = agencies.get(agencyId);
          if (!agency) continue;
          const eventId = stableEventId(event.id, agencyId);
          const body = JSON.stringify(
            cloudEvent({
              id: eventId,
              type: event.type,
              subject: violation.id,
              time: new Date(event.created_at),
              agency: agency.code,
              data,
            }),
          );
          for (const channel of channels.filter((c) => c.agency_id === agencyId))
            rows.push({
              outboxEventId: event.id,
              agencyId,
              channelId: channel.id,
              eventId,
              eventType: event.type,
              violationId: violation.id,
              body,
            });
        }
      }
      const created = await repos.deliveries.add(rows);
      await repos.deliveries.markPublished(events.map((e) => e.id));
      this.counters.outboxEvents += events.length;
      this.counters.deliveriesCreated += created;
      return { count: events.length, violations: touched };
    });
    for (const id of violations) await this.sealQuietly(id);
    return count;
  }

  /**
   * Every agency with an active channel receives each evidence anchor: the more witnesses outside the system
   * hold the chains' heads, the less a rewrite of the database can go unnoticed.
   */
  private anchorDeliveries(
    event: { id: string; type: string; aggregate_id: string; created_at: Date; payload: unknown },
    agencies: Map<string, AgencyRow>,
    channels: readonly AgencyChannelRow[],
  ): NewDelivery[] {
    const rows: NewDelivery[] = [];
    for (const agency of agencies.values()) {
      const eventId = stableEventId(event.id, agency.id);
      const body = JSON.stringify(
        cloudEvent({
          id: eventId,
          type: EVIDENCE_ANCHOR_EVENT,
          subject: `anchor:${event.aggregate_id}`,
          time: new Date(event.created_at),
          agency: agency.code,
          data: event.payload,
        }),
      );
      for (const channel of channels.filter((c) => c.agency_id === agency.id))
        rows.push({
          outboxEventId: event.id,
          agencyId: agency.id,
          channelId: channel.id,
          eventId,
          eventType: EVIDENCE_ANCHOR_EVENT,
          // Anchors are delivered in order on each channel, as the events of one violation are.
          violationId: EVIDENCE_ANCHOR_EVENT,
          body,
        });
    }
    return rows;
  }

  /**
   * Publishes the heads of the evidence chains that moved since the last anchor, as a signed `evidence.anchor`
   * event through the outbox, at most every EVIDENCE_ANCHOR_INTERVAL_SECONDS across all instances (`force`:
   * whatever the time since the last one). Nothing is published while no head moved.
   */
  async anchorEvidence(options: { force?: boolean } = {}): Promise<SignedAnchor | undefined> {
    const key = await this.evidence.signingKey();
    return this.store.transaction(async (repos) => {
      await repos.evidence.lockAnchoring();
      const last = await repos.evidence.lastAnchor();
      const now = new Date();
      const lastHadMore = (last?.anchor as { more?: unknown } | undefined)?.more === true;
      if (
        last &&
        !options.force &&
        !lastHadMore &&
        now.getTime() - new Date(last.anchored_at).getTime() <
          this.config.evidenceAnchorIntervalSeconds * 1000
      )
        return undefined;
      const { moved: all, chains } = await repos.evidence.movedHeads();
      if (all.length === 0) return undefined;
      const moved = all.slice(0, ANCHOR_MAX_HEADS);
      const anchor: EvidenceAnchor = {
        seq: last ? Number(last.seq) + 1 : 1,
        anchoredAt: now.toISOString(),
        previous: last?.hash ?? FIRST_ANCHOR_PREVIOUS,
        chains,
        heads: moved.map((h) => ({ violationId: h.violation_id, length: h.length, head: h.head })),
        more: all.length > moved.length,
        canonicalization: 'rfc8785',
      };
      const signed = signAnchor(anchor, key);
      await repos.evidence.addAnchor(
        {
          seq: anchor.seq,
          anchored_at: now,
          previous_hash: anchor.previous,
          hash: signed.hash,
          key_id: signed.keyId,
          signature: signed.signature,
          anchor,
        },
        moved,
      );
      await repos.violations.addOutboxEvent(EVIDENCE_ANCHOR_EVENT, 'evidence', String(anchor.seq), signed);
      this.counters.anchors++;
      return signed;
    });
  }

  /** Escalates violations left unacknowledged, one level at a time, with a step, an audit entry and an event. */
  async escalate(): Promise<number> {
    const maxLevel = await this.store.repos.agencyChannels.maxLevel();
    this.escalationLevels = maxLevel;
    if (maxLevel === 0) return 0;
    const escalated = await this.store.transaction(async (repos) => {
      const due = await repos.violationCases.dueForEscalation(
        this.config.dispatchEscalationSeconds,
        maxLevel,
        this.config.dispatchBatchSize,
      );
      for (const violation of due) {
        const row = await repos.violationCases.escalate(violation.id);
        await repos.violationCases.addStep({
          violationId: row.id,
          step: 'escalated',
          actorId: null,
          actorUsername: SYSTEM.username,
          agencyId: null,
          notes: `not acknowledged within ${this.config.dispatchEscalationSeconds} s`,
          reference: null,
          resolution: null,
          escalationLevel: row.escalation_level,
        });
        const type = row.zone_kind === 'integrity' ? 'integrity.escalated' : 'violation.escalated';
        await repos.violations.addOutboxEvent(type, 'violation', row.id, row);
        await repos.audit.record({
          actor: SYSTEM,
          action: 'violation.escalated',
          entityType: 'violation',
          entityId: row.id,
          before: { escalationLevel: violation.escalation_level },
          after: { escalationLevel: row.escalation_level },
        });
      }
      return due.map((v) => v.id);
    });
    this.counters.escalated += escalated.length;
    for (const id of escalated) await this.sealQuietly(id);
    return escalated.length;
  }

  /** Leases due deliveries and attempts them, a few at a time. */
  async deliverDue(): Promise<number> {
    const claimed = await this.store.repos.deliveries.claimDue(
      this.instanceId,
      this.config.dispatchBatchSize,
      this.config.dispatchLeaseSeconds,
    );
    if (claimed.length === 0) return 0;
    const channels = new Map(
      (await this.store.repos.agencyChannels.channels(undefined, false)).map((c) => [c.id, c]),
    );
    const agencies = new Map((await this.store.repos.agencies.list()).map((a) => [a.id, a]));
    await Promise.all(claimed.map((delivery) => this.attempt(delivery, channels, agencies)));
    return claimed.length;
  }

  private async attempt(
    delivery: DeliveryRow,
    channels: Map<string, AgencyChannelRow>,
    agencies: Map<string, AgencyRow>,
  ): Promise<void> {
    const channel = channels.get(delivery.channel_id);
    const agency = agencies.get(delivery.agency_id);
    let result: AttemptResult;
    if (!channel || !channel.active || !agency)
      result = { ok: false, status: null, error: 'channel deactivated' };
    else if (channel.kind === 'webhook')
      result = await this.webhooks.send(
        channel.url!,
        channel.secret!,
        delivery.event_id,
        delivery.body,
        this.shutdown.signal,
      );
    else result = await this.mqtt.publish(agency.code, delivery.body);
    if (this.shutdown.signal.aborted) return;
    const repos = this.store.repos;
    if (result.ok) {
      if (await repos.deliveries.markDelivered(delivery.id, this.instanceId, result))
        this.counters.delivered++;
      return;
    }
    this.counters.failedAttempts++;
    const decision =
      channel && channel.active
        ? nextAttempt(
            new Date(),
            delivery.attempts,
            new Date(delivery.window_started_at),
            this.policy,
            Math.random,
          )
        : { deadLetter: true as const };
    if ('deadLetter' in decision) {
      await repos.deliveries.markDead(delivery.id, this.instanceId, result);
      this.counters.deadLettered++;
      this.logger.warn(`delivery ${delivery.id} (${delivery.event_type}) dead-lettered: ${result.error}`);
    } else {
      await repos.deliveries.markRetry(delivery.id, this.instanceId, decision.retryAt, result);
    }
  }

  /** Late fixes from a device's buffer can land in a violation's window long after its events. */
  async resealRecent(): Promise<void> {
    const recent = await this.store.repos.violationCases.recentIds(RESEAL_WITHIN_SECONDS, 500);
    for (const { id } of recent) {
      if (this.shutdown.signal.aborted) return;
      await this.sealQuietly(id);
    }
  }

  private async sealQuietly(violationId: string): Promise<void> {
    try {
      this.counters.sealedLinks += await this.evidence.seal(violationId);
    } catch (error) {
      if (!this.shutdown.signal.aborted)
        this.logger.warn(
          `sealing evidence of ${violationId} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
  }
}
