/** What routing and access need to know of a violation or integrity alert. */
export interface RoutableAlert {
  readonly zoneKind: string;
  /** Department where the position lies, or the machine's declared one. */
  readonly department: string | null;
  readonly severity: string;
  /** 0 until the alert is escalated; each escalation raises it by one. */
  readonly escalationLevel: number;
}

/**
 * One subscription of an agency. Empty lists match everything (a national agency has no departments); the
 * subscription applies from `level` on: level 0 from the start, level 1 once the alert is escalated, and so on.
 */
export interface Subscription {
  readonly agencyId: string;
  readonly zoneKinds: readonly string[];
  readonly departments: readonly string[];
  readonly severities: readonly string[];
  readonly level: number;
}

/** A subscription as stored (one row of an agency's subscriptions). */
export interface SubscriptionRecord {
  readonly agency_id: string;
  readonly zone_kinds: string[];
  readonly departments: string[];
  readonly severities: string[];
  readonly level: number;
}

export function toSubscription(row: SubscriptionRecord): Subscription {
  return {
    agencyId: row.agency_id,
    zoneKinds: row.zone_kinds,
    departments: row.departments,
    severities: row.severities,
    level: Number(row.level),
  };
}

export const INTEGRITY_ZONE_KIND = 'integrity';

function listed(list: readonly string[], value: string | null): boolean {
  return list.length === 0 || (value !== null && list.includes(value));
}

/** Whether the agency's subscription covers the alert's zone kind and department (its jurisdiction). */
export function inJurisdiction(subscription: Subscription, alert: RoutableAlert): boolean {
  return listed(subscription.zoneKinds, alert.zoneKind) && listed(subscription.departments, alert.department);
}

export function subscriptionMatches(subscription: Subscription, alert: RoutableAlert): boolean {
  return (
    inJurisdiction(subscription, alert) &&
    listed(subscription.severities, alert.severity) &&
    alert.escalationLevel >= subscription.level
  );
}

/** The agencies an alert goes to at its current escalation level, each once, in a stable order. */
export function route(subscriptions: readonly Subscription[], alert: RoutableAlert): string[] {
  const agencies = new Set<string>();
  for (const subscription of subscriptions)
    if (subscriptionMatches(subscription, alert)) agencies.add(subscription.agencyId);
  return [...agencies].sort();
}

/** Whether an agency's officers may see and act on an alert: some subscription of the agency covers it. */
export function agencyMaySee(
  subscriptions: readonly Subscription[],
  agencyId: string,
  alert: RoutableAlert,
): boolean {
  return subscriptions.some((s) => s.agencyId === agencyId && inJurisdiction(s, alert));
}

/**
 * The agencies an event of the alert goes to. Integrity alerts (the tracker itself is in question) go to those of
 * the department where the alert is placed and those of the machine's registered department; violations to those
 * of the department they are placed in, or the registered one when ingest could not place them.
 */
export function recipients(
  subscriptions: readonly Subscription[],
  alert: RoutableAlert,
  registeredDepartment: string | null,
): string[] {
  const placed = alert.department ?? registeredDepartment;
  const agencies = new Set(route(subscriptions, { ...alert, department: placed }));
  if (alert.zoneKind === INTEGRITY_ZONE_KIND && registeredDepartment !== placed)
    for (const agencyId of route(subscriptions, { ...alert, department: registeredDepartment }))
      agencies.add(agencyId);
  return [...agencies].sort();
}
