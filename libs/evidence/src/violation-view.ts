import type { AlertParties, Repositories, ViolationRow } from '@app/db';

/** A fix as an alert shows it: where, and when in UTC and in Peru's local time. */
export interface AlertFix {
  lat: number;
  lon: number;
  at: string;
  atLocal: string;
}

/** Who an alert is about. A natural person's name only to those who may see it (see `docs/dispatch.md`). */
export interface AlertMachine {
  registryNumber: string;
  category: string;
  /** Null until the machine's use is declared. */
  declaredUse: string | null;
  owner: { kind: string; name: string | null };
}

export interface CaseZone {
  id: string;
  name: string;
  kind: string;
  layer: string | null;
}

/** A violation as the API and the alerts show it. */
export interface ViolationView {
  id: string;
  machineId: string;
  imei: string;
  zone: { id: string; name: string; kind: string; legalBasis: string; catalogueVersion: string };
  /** Every zone of the case (overlapping layers, a lagoon beside its river), the first being `zone`. */
  zones: CaseZone[];
  /** Shared by the machine's violations of one act under different legal bases. */
  incidentId: string | null;
  ruleId: string;
  severity: string;
  /** What the alert is called and says, in Spanish (es-PE), with the English beside. */
  title: string;
  titleEn: string;
  description: string;
  descriptionEn: string;
  status: string;
  workflowStatus: string;
  resolution: string | null;
  department: string | null;
  province: string | null;
  escalationLevel: number;
  startedAt: string;
  confirmedAt: string;
  lastSeenAt: string;
  closedAt: string | null;
  late: boolean;
  /** Event time of what the alert reports (the latest fix seen, or the close), in UTC and in America/Lima. */
  occurredAt: string;
  occurredAtLocal: string;
  startedAtLocal: string;
  firstFix: AlertFix | null;
  latestFix: AlertFix | null;
  machine: AlertMachine | null;
}

/** What the view adds to the row: the machine and its owner, the latest fix, and who is looking. */
export interface AlertContext {
  readonly parties?: AlertParties | undefined;
  readonly latestFix?: { lat: number; lon: number; fix_time: Date | string } | undefined;
  /** Whether a natural person's name may be shown (a company's always is). */
  readonly showPersonName: boolean;
}

type RowLike = Partial<Record<keyof ViolationRow, unknown>>;

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));
const isoOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : iso(value);
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

const LIMA = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Lima',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/** ISO 8601 in Peru's local time, with its offset: `2026-11-20T03:06:12-05:00`. */
export function limaTime(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) return '';
  const part = Object.fromEntries(LIMA.formatToParts(date).map((p) => [p.type, p.value]));
  const offset = (part['timeZoneName'] ?? 'GMT-05:00').replace('GMT', '') || '+00:00';
  return `${part['year']}-${part['month']}-${part['day']}T${part['hour']}:${part['minute']}:${part['second']}${offset}`;
}

function alertFix(lat: unknown, lon: unknown, at: unknown): AlertFix | null {
  if (typeof lat !== 'number' || typeof lon !== 'number' || at === undefined || at === null) return null;
  const time = typeof at === 'number' ? new Date(at) : at;
  return { lat, lon, at: iso(time), atLocal: limaTime(time) };
}

/** The first of a violation's confirming fixes with a position (rules' fixes carry `time`, integrity's `deviceTime`). */
function firstFixOf(confirmingFixes: unknown): AlertFix | null {
  const fixes: unknown[] = Array.isArray(confirmingFixes)
    ? confirmingFixes
    : typeof confirmingFixes === 'string'
      ? (JSON.parse(confirmingFixes) as unknown[])
      : [];
  for (const fix of fixes) {
    const f = fix as { lat?: unknown; lon?: unknown; time?: unknown; deviceTime?: unknown } | null;
    const found = f && alertFix(f.lat, f.lon, f.time ?? f.deviceTime);
    if (found) return found;
  }
  return null;
}

function caseZones(row: RowLike): CaseZone[] {
  const stored = typeof row.zones === 'string' ? (JSON.parse(row.zones) as unknown) : row.zones;
  const list = Array.isArray(stored) ? stored : [];
  const zones = list.flatMap((z: unknown): CaseZone[] => {
    const zone = z as { id?: unknown; name?: unknown; kind?: unknown; layer?: unknown } | null;
    return zone && typeof zone.id === 'string'
      ? [
          {
            id: zone.id,
            name: text(zone.name),
            kind: text(zone.kind),
            layer: typeof zone.layer === 'string' ? zone.layer : null,
          },
        ]
      : [];
  });
  return zones.length > 0
    ? zones
    : [{ id: text(row.zone_id), name: text(row.zone_name), kind: text(row.zone_kind), layer: null }];
}

function machineOf(context: AlertContext | undefined): AlertMachine | null {
  const parties = context?.parties;
  if (!parties) return null;
  const named = parties.ownerKind === 'company' || context.showPersonName;
  return {
    registryNumber: parties.registryNumber,
    category: parties.category,
    declaredUse: parties.declaredUse,
    owner: { kind: parties.ownerKind, name: named ? parties.ownerName : null },
  };
}

/**
 * From a stored row, or from the row as an outbox payload carries it (JSON: dates as strings). The one place
 * that shapes what webhooks, MQTT, the live feed, the API and the terminal show of an alert.
 */
export function violationView(
  row: RowLike,
  department?: string | null,
  context?: AlertContext,
): ViolationView {
  const occurred = row.closed_at ?? row.last_seen_at;
  const latest = context?.latestFix;
  return {
    id: text(row.id),
    machineId: text(row.machine_id),
    imei: text(row.imei),
    zone: {
      id: text(row.zone_id),
      name: text(row.zone_name),
      kind: text(row.zone_kind),
      legalBasis: text(row.legal_basis),
      catalogueVersion: text(row.catalogue_version),
    },
    zones: caseZones(row),
    incidentId: (row.incident_id as string | null | undefined) ?? null,
    ruleId: text(row.rule_id),
    severity: text(row.severity),
    // Rows written before titles were kept have none: the rule's id stands in.
    title: text(row.title) || text(row.rule_id),
    titleEn: text(row.title_en) || text(row.rule_id),
    description: text(row.description),
    descriptionEn: text(row.description_en) || text(row.description),
    status: text(row.status),
    workflowStatus: text(row.workflow_status ?? 'new'),
    resolution: (row.resolution as string | null | undefined) ?? null,
    department:
      department !== undefined ? department : ((row.department as string | null | undefined) ?? null),
    province: (row.province as string | null | undefined) ?? null,
    escalationLevel: Number(row.escalation_level ?? 0),
    startedAt: iso(row.started_at),
    confirmedAt: iso(row.confirmed_at),
    lastSeenAt: iso(row.last_seen_at),
    closedAt: isoOrNull(row.closed_at),
    late: Boolean(row.late),
    occurredAt: iso(occurred),
    occurredAtLocal: limaTime(occurred),
    startedAtLocal: limaTime(row.started_at),
    firstFix: firstFixOf(row.confirming_fixes),
    latestFix: latest ? alertFix(latest.lat, latest.lon, latest.fix_time) : null,
    machine: machineOf(context),
  };
}

/**
 * The context of each row's view, read in a few queries: its machine and owner, and its latest trusted fix up to
 * the time it was last seen.
 */
export async function alertContexts(
  repos: Repositories,
  rows: readonly RowLike[],
  showPersonName: boolean,
): Promise<Map<string, AlertContext>> {
  const parties = await repos.violationCases.alertParties(rows.map((r) => text(r.machine_id)));
  const contexts = new Map<string, AlertContext>();
  for (const row of rows) {
    const seen = row.last_seen_at ? new Date(iso(row.last_seen_at)) : undefined;
    const latestFix =
      seen && !Number.isNaN(seen.getTime())
        ? await repos.positions.lastTrusted(text(row.imei), seen)
        : undefined;
    contexts.set(text(row.id), { parties: parties.get(text(row.machine_id)), latestFix, showPersonName });
  }
  return contexts;
}
