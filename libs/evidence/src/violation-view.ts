import type { ViolationRow } from '@app/db';

/** A violation as the API and the alerts show it. */
export interface ViolationView {
  id: string;
  machineId: string;
  imei: string;
  zone: { id: string; name: string; kind: string; legalBasis: string; catalogueVersion: string };
  ruleId: string;
  severity: string;
  description: string;
  status: string;
  workflowStatus: string;
  resolution: string | null;
  department: string | null;
  escalationLevel: number;
  startedAt: string;
  confirmedAt: string;
  lastSeenAt: string;
  closedAt: string | null;
  late: boolean;
}

type RowLike = Partial<Record<keyof ViolationRow, unknown>>;

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));
const isoOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : iso(value);
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** From a stored row, or from the row as an outbox payload carries it (JSON: dates as strings). */
export function violationView(row: RowLike, department?: string | null): ViolationView {
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
    ruleId: text(row.rule_id),
    severity: text(row.severity),
    description: text(row.description),
    status: text(row.status),
    workflowStatus: text(row.workflow_status ?? 'new'),
    resolution: (row.resolution as string | null | undefined) ?? null,
    department:
      department !== undefined ? department : ((row.department as string | null | undefined) ?? null),
    escalationLevel: Number(row.escalation_level ?? 0),
    startedAt: iso(row.started_at),
    confirmedAt: iso(row.confirmed_at),
    lastSeenAt: iso(row.last_seen_at),
    closedAt: isoOrNull(row.closed_at),
    late: Boolean(row.late),
  };
}
