import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject, filter, finalize, map, share } from 'rxjs';
import { OutboxCursor, Store } from '@app/db';
import { RoutableAlert, agencyMaySee, isAlertEventType, toSubscription } from '@app/dispatch';
import { AlertContext, alertContexts, violationView } from '@app/evidence';
import { AuthenticatedUser } from '@app/platform';
import { mayNamePersons } from './violations.service';
import { NeedToKnow } from '../common/need-to-know';

const POLL_MS = 1000;

export interface LiveEvent {
  readonly id: string;
  readonly type: string;
  readonly at: Date;
  readonly payload: Record<string, unknown>;
  /** Where the violation lies, or the machine's declared department while that is not known yet. */
  readonly department: string | null;
  readonly context: AlertContext | undefined;
}

/**
 * The live feed of the console: alert events from the outbox as they are written, polled once for all
 * listeners of this process and filtered per listener by jurisdiction. Best effort; the webhooks and MQTT are
 * the channels that never lose an event.
 */
@Injectable()
export class LiveFeed implements OnModuleDestroy {
  private readonly events = new Subject<LiveEvent>();
  private timer: NodeJS.Timeout | undefined;
  private listeners = 0;
  private cursor: OutboxCursor | undefined;

  constructor(private readonly store: Store) {}

  async stream(user: AuthenticatedUser): Promise<Observable<{ id: string; type: string; data: object }>> {
    const agencyId = NeedToKnow.agencyOf(user);
    const subscriptions =
      agencyId === null
        ? undefined
        : (await this.store.repos.agencyChannels.subscriptions(agencyId)).map(toSubscription);
    const visible = (event: LiveEvent) => {
      if (!subscriptions) return true;
      const p = event.payload;
      const alert: RoutableAlert = {
        zoneKind: String(p['zone_kind'] ?? ''),
        department: event.department,
        severity: String(p['severity'] ?? ''),
        escalationLevel: Number(p['escalation_level'] ?? 0),
      };
      return agencyMaySee(subscriptions, agencyId!, alert);
    };
    const showPersonName = mayNamePersons(user);
    await this.start();
    return this.events.pipe(
      filter(visible),
      map((event) => ({
        id: event.id,
        type: event.type,
        data: {
          type: event.type,
          at: event.at,
          violation: violationView(
            event.payload,
            event.department,
            event.context && { ...event.context, showPersonName },
          ),
        },
      })),
      finalize(() => this.stop()),
      share(),
    );
  }

  private async start(): Promise<void> {
    this.listeners++;
    if (this.timer) return;
    this.cursor ??= await this.store.repos.deliveries.latestOutboxCursor();
    const poll = async () => {
      try {
        const rows = await this.store.repos.deliveries.outboxAfter(this.cursor, 500);
        for (const row of rows) {
          this.cursor = row.cursor;
          if (row.aggregate_type !== 'violation' || !isAlertEventType(row.type)) continue;
          const payload = row.payload as Record<string, unknown>;
          this.events.next({
            id: row.id,
            type: row.type,
            at: row.created_at,
            payload,
            department: await this.departmentOf(row.aggregate_id, payload),
            context: (
              await alertContexts(this.store.repos, [{ ...payload, id: row.aggregate_id }], true)
            ).get(row.aggregate_id),
          });
        }
      } finally {
        if (this.listeners > 0) this.timer = setTimeout(() => void poll(), POLL_MS);
      }
    };
    this.timer = setTimeout(() => void poll(), POLL_MS);
  }

  private async departmentOf(violationId: string, payload: Record<string, unknown>): Promise<string | null> {
    const known = payload['department'] as string | null | undefined;
    if (known) return known;
    const row = await this.store.repos.violationCases.findById(violationId);
    if (row?.department) return row.department;
    return row ? ((await this.store.repos.violationCases.machineDepartment(row.machine_id)) ?? null) : null;
  }

  private stop(): void {
    this.listeners = Math.max(0, this.listeners - 1);
    if (this.listeners === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners = 0;
    this.events.complete();
  }
}
