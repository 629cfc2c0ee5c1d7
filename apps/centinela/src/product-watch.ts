import { OutboxCursor, Store } from '@app/db';
import { alertContexts, violationView } from '@app/evidence';
import type { ZoneCatalogueService } from '@app/zones';

/** A violation or integrity alert event, as ingest wrote it to the outbox. */
export interface AlertEvent {
  /** `violation.opened`, `integrity.closed`, … */
  readonly type: string;
  readonly at: Date;
  readonly violationId: string;
  readonly imei: string;
  readonly ruleId: string;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly zoneKind: string;
  readonly severity: string;
  /** In Spanish (es-PE). */
  readonly title: string;
  readonly description: string;
  /** The violation's status after the event: `open`, `closed`, `retracted`. */
  readonly status: string;
  readonly legalBasis: string;
  /** The machine's registry number; null when its machine is not in the registry. */
  readonly registryNumber: string | null;
  /** The latest fix the alert reports (else its first). */
  readonly position: { readonly lat: number; readonly lon: number } | null;
  /** Event time in Peru (America/Lima), ISO 8601 with its offset. */
  readonly occurredAtLocal: string;
  readonly late: boolean;
}

/** What the product has stored of one tracker. */
export interface TrackerProgress {
  readonly stored: number;
  readonly last: { readonly lat: number; readonly lon: number; readonly fixTime: Date } | undefined;
}

export interface ZoneHere {
  readonly name: string;
  readonly kind: string;
}

const ALERT_TYPE = /^(violation|integrity)\.[a-z_]+$/;
const ZONE_KIND_ORDER = [
  'water_body',
  'protected_area',
  'buffer_zone',
  'indigenous_land',
  'mining_corridor',
  'jurisdiction',
];

/**
 * Reads what the product did with the demo's fixes, from its own storage: the fixes stored per tracker and the
 * alert events of the outbox (the ones the dispatcher delivers), from the moment the watch starts.
 */
export class ProductWatch {
  private cursor: OutboxCursor | undefined;
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly catalogue: ZoneCatalogueService,
  ) {}

  /** Alert events written since the previous call (the first call only sets the starting point). */
  async newAlerts(limit = 200): Promise<AlertEvent[]> {
    if (!this.started) {
      this.cursor = await this.store.repos.deliveries.latestOutboxCursor();
      this.started = true;
    }
    const rows = await this.store.repos.deliveries.outboxAfter(this.cursor, limit);
    const alerts: AlertEvent[] = [];
    for (const row of rows) {
      this.cursor = row.cursor;
      if (!ALERT_TYPE.test(row.type)) continue;
      let p = (row.payload ?? {}) as Record<string, unknown>;
      // The events carry the violation row; should one carry less, the row itself is read.
      if (typeof p['rule_id'] !== 'string') p = (await this.violationRow(row.aggregate_id)) ?? p;
      const text = (key: string) => (typeof p[key] === 'string' ? (p[key] as string) : '');
      const context = (await alertContexts(this.store.repos, [{ ...p, id: row.aggregate_id }], true)).get(
        row.aggregate_id,
      );
      const view = violationView({ ...p, id: row.aggregate_id }, undefined, context);
      const fix = view.latestFix ?? view.firstFix;
      alerts.push({
        type: row.type,
        at: row.created_at,
        violationId: row.aggregate_id,
        imei: text('imei'),
        ruleId: text('rule_id'),
        zoneId: text('zone_id'),
        zoneName: text('zone_name'),
        zoneKind: text('zone_kind'),
        severity: text('severity'),
        title: view.title,
        description: text('description'),
        status: text('status'),
        legalBasis: view.zone.legalBasis,
        registryNumber: view.machine?.registryNumber ?? null,
        position: fix ? { lat: fix.lat, lon: fix.lon } : null,
        occurredAtLocal: view.occurredAtLocal,
        late: view.late,
      });
    }
    return alerts;
  }

  private async violationRow(id: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.store.db
      .selectFrom('violations')
      .select([
        'imei',
        'rule_id',
        'zone_id',
        'zone_name',
        'zone_kind',
        'severity',
        'title',
        'description',
        'status',
      ])
      .where('id', '=', id)
      .executeTakeFirst()
      .catch(() => undefined);
    return row ? { ...row } : undefined;
  }

  async progress(imei: string): Promise<TrackerProgress> {
    const db = this.store.db;
    const [count, last] = await Promise.all([
      db
        .selectFrom('positions')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('imei', '=', imei)
        .executeTakeFirst(),
      db
        .selectFrom('positions')
        .select(['lat', 'lon', 'fix_time'])
        .where('imei', '=', imei)
        .orderBy('fix_time', 'desc')
        .limit(1)
        .executeTakeFirst(),
    ]);
    return {
      stored: Number(count?.n ?? 0),
      last: last ? { lat: last.lat, lon: last.lon, fixTime: last.fix_time } : undefined,
    };
  }

  /** The zones at a position, the most telling first (a river before the department it runs through). */
  zonesAt(lat: number, lon: number): ZoneHere[] {
    try {
      return this.catalogue.engine
        .zonesAt(lat, lon)
        .map((z) => ({ name: z.name, kind: z.kind }))
        .sort((a, b) => rank(a.kind) - rank(b.kind));
    } catch {
      return [];
    }
  }
}

function rank(kind: string): number {
  const at = ZONE_KIND_ORDER.indexOf(kind);
  return at < 0 ? ZONE_KIND_ORDER.length : at;
}
