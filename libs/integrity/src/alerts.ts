import type {
  AlertDetails,
  Downgrade,
  EvidenceFix,
  IntegrityContext,
  IntegrityEvent,
  IntegrityEventType,
  IntegrityKind,
  IntegritySeverity,
} from './model';
import { judgeWindows } from './windows';

/** What a detector concluded from one observation: the condition holds. */
export interface Finding {
  severity: IntegritySeverity;
  cause: string;
  since: number;
  at: number;
  /** In Spanish (es-PE). */
  description: string;
  descriptionEn: string;
  evidence: EvidenceFix[];
  details: AlertDetails;
}

/** What a detector concluded from one observation: the condition is over. */
export interface Clearing {
  at: number;
  description: string;
  descriptionEn: string;
  evidence: EvidenceFix[];
  details: AlertDetails;
}

export type Observation = { type: 'raise'; finding: Finding } | { type: 'clear'; clearing: Clearing };

/** An alert as the monitor remembers it (plain JSON). */
export interface AlertRecord {
  id: string;
  kind: IntegrityKind;
  cause: string;
  since: number;
  at: number;
  detectedSeverity: IntegritySeverity;
  severity: IntegritySeverity;
  downgradedBy?: Downgrade;
  /** In Spanish (es-PE); the English beside (absent in states kept before alerts spoke Spanish). */
  description: string;
  descriptionEn?: string;
  evidence: EvidenceFix[];
  details: AlertDetails;
  /** Observations merged into the alert so far. */
  observations: number;
  /** Platform time of the last event reported for it. */
  reportedAt: number;
  reportedSeverity: IntegritySeverity;
  reportedCause: string;
}

export const SEVERITY_RANK: Record<IntegritySeverity, number> = { warning: 0, violation: 1 };

/** Evidence kept bounded: the first fix and the newest ones, without repeating a fix. */
export function mergeEvidence(
  kept: readonly EvidenceFix[],
  added: readonly EvidenceFix[],
  max: number,
): EvidenceFix[] {
  const all = [...kept];
  for (const e of added) {
    if (!all.some((k) => k.deviceTime === e.deviceTime && k.receivedAt === e.receivedAt)) all.push(e);
  }
  if (all.length <= max) return all;
  return [all[0] as EvidenceFix, ...all.slice(all.length - (max - 1))];
}

/** A new alert record from a finding, judged against the machine's declared windows. */
export function newRecord(
  id: string,
  kind: IntegrityKind,
  finding: Finding,
  ctx: IntegrityContext,
  now: number,
): AlertRecord {
  const judged = judgeWindows(kind, finding.severity, finding.since, finding.at, ctx.windows, ctx.params);
  const record: AlertRecord = {
    id,
    kind,
    cause: finding.cause,
    since: finding.since,
    at: finding.at,
    detectedSeverity: finding.severity,
    severity: judged.severity,
    description: describe(finding.description, judged.downgradedBy, 'es'),
    descriptionEn: describe(finding.descriptionEn, judged.downgradedBy, 'en'),
    evidence: finding.evidence.slice(0, ctx.params.evidenceFixes),
    details: { ...finding.details },
    observations: 1,
    reportedAt: now,
    reportedSeverity: judged.severity,
    reportedCause: finding.cause,
  };
  if (judged.downgradedBy) record.downgradedBy = judged.downgradedBy;
  return record;
}

/**
 * Merges a further finding into an open alert. Severity only rises while an alert is open (an alert opened
 * as a violation stays one until it closes); the window judgement is redone over the whole period.
 */
export function mergeFinding(record: AlertRecord, finding: Finding, ctx: IntegrityContext): void {
  record.observations++;
  if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[record.detectedSeverity]) {
    record.detectedSeverity = finding.severity;
    record.cause = finding.cause;
    record.description = finding.description;
    record.descriptionEn = finding.descriptionEn;
  }
  record.since = Math.min(record.since, finding.since);
  record.at = Math.max(record.at, finding.at);
  record.evidence = mergeEvidence(record.evidence, finding.evidence, ctx.params.evidenceFixes);
  record.details = { ...record.details, ...finding.details };
  rejudge(record, ctx);
}

/** Replaces what an alert says (went dark: the gap revised by buffered fixes), keeping its identity. */
export function reviseRecord(record: AlertRecord, finding: Finding, ctx: IntegrityContext): void {
  record.detectedSeverity = finding.severity;
  record.cause = finding.cause;
  record.description = finding.description;
  record.descriptionEn = finding.descriptionEn;
  record.since = finding.since;
  record.at = finding.at;
  record.evidence = finding.evidence.slice(0, ctx.params.evidenceFixes);
  record.details = { ...finding.details };
  rejudge(record, ctx);
}

function rejudge(record: AlertRecord, ctx: IntegrityContext): void {
  const base = stripDowngrade(record.description);
  const baseEn = stripDowngrade(record.descriptionEn ?? record.description);
  const judged = judgeWindows(
    record.kind,
    record.detectedSeverity,
    record.since,
    record.at,
    ctx.windows,
    ctx.params,
  );
  record.severity = judged.severity;
  if (judged.downgradedBy) record.downgradedBy = judged.downgradedBy;
  else delete record.downgradedBy;
  record.description = describe(base, judged.downgradedBy, 'es');
  record.descriptionEn = describe(baseEn, judged.downgradedBy, 'en');
}

const DOWNGRADE_MARKS = { es: ' — rebajada: ', en: ' — downgraded: ' } as const;

function describe(description: string, downgrade: Downgrade | undefined, language: 'es' | 'en'): string {
  const base = stripDowngrade(description);
  if (!downgrade) return base;
  const reason = language === 'en' ? (downgrade.reasonEn ?? downgrade.reason) : downgrade.reason;
  return `${base}${DOWNGRADE_MARKS[language]}${reason}`;
}

function stripDowngrade(description: string): string {
  for (const mark of Object.values(DOWNGRADE_MARKS)) {
    const i = description.indexOf(mark);
    if (i >= 0) return description.slice(0, i);
  }
  return description;
}

/** Whether an update of a still-open alert is due: severity or cause changed, or `updateEveryMs` passed. */
export function updateDue(record: AlertRecord, now: number, ctx: IntegrityContext): boolean {
  return (
    record.severity !== record.reportedSeverity ||
    record.cause !== record.reportedCause ||
    now - record.reportedAt >= ctx.params.updateEveryMs
  );
}

export function markReported(record: AlertRecord, now: number): void {
  record.reportedAt = now;
  record.reportedSeverity = record.severity;
  record.reportedCause = record.cause;
}

export interface EventExtras {
  at?: number;
  description?: string;
  descriptionEn?: string;
  evidence?: EvidenceFix[];
  details?: AlertDetails;
  retracted?: boolean;
}

export function alertEvent(
  type: IntegrityEventType,
  record: AlertRecord,
  deviceId: string,
  ctx: IntegrityContext,
  now: number,
  extras: EventExtras = {},
): IntegrityEvent {
  const event: IntegrityEvent = {
    type,
    kind: record.kind,
    ruleId: `integrity.${record.kind}`,
    alertId: record.id,
    machineId: ctx.machine.machineId,
    deviceId,
    severity: record.severity,
    detectedSeverity: record.detectedSeverity,
    cause: record.cause,
    at: extras.at ?? record.at,
    since: record.since,
    detectedAt: now,
    description: extras.description ?? record.description,
    descriptionEn: extras.descriptionEn ?? record.descriptionEn ?? record.description,
    legalBasis: ctx.params.legalBasis,
    evidence: extras.evidence ?? [...record.evidence],
    details: { ...record.details, ...extras.details },
  };
  if (record.downgradedBy) event.downgradedBy = { ...record.downgradedBy };
  if (extras.retracted) event.retracted = true;
  return event;
}
