import type { Migration } from 'kysely';
import * as registry from './20261122T0500_registry';
import * as zoneCatalogue from './20261122T0600_zone_catalogue';
import * as positions from './20261122T0700_positions';
import * as violations from './20261122T0800_violations';
import * as dispatch from './20261201T0900_dispatch';
import * as positionsStoredAt from './20261201T0800_positions_stored_at';
import * as declaredWindows from './20261201T1000_declared_windows';
import * as changeNotifications from './20261201T1200_change_notifications';
import * as refusedMessages from './20261201T1600_refused_messages';
import * as deviceMessagesReceivedIdx from './20261201T1700_device_messages_received_idx';
import * as dispatchNotifications from './20261205T0900_dispatch_notifications';
import * as positionsJamming from './20261205T1700_positions_jamming';
import * as zoneSources from './20261205T1800_zone_sources';
import * as declaredUse from './20261205T1830_declared_use';
import * as violationsProvince from './20261205T1835_violations_province';
import * as outboxOrder from './20261205T1840_outbox_order';
import * as violationCases from './20261205T1900_violation_cases';
import * as alertTitles from './20261205T1910_alert_titles';
import * as auditorRole from './20261205T2000_auditor_role';
import * as ingestSessions from './20261205T2040_ingest_sessions';
import * as evidenceKeys from './20261205T2100_evidence_keys';
import * as ingestCounters from './20261205T2110_ingest_counters';
import * as importJobsAndApprovals from './20261205T2120_import_jobs_and_approvals';
import * as violationsFillfactor from './20261205T2130_violations_fillfactor';

/** Every migration, keyed by its timestamped name; applied in name order. */
export const migrations: Record<string, Migration> = {
  '20261122T0500_registry': registry,
  '20261122T0600_zone_catalogue': zoneCatalogue,
  '20261122T0700_positions': positions,
  '20261122T0800_violations': violations,
  '20261201T0900_dispatch': dispatch,
  '20261201T0800_positions_stored_at': positionsStoredAt,
  '20261201T1000_declared_windows': declaredWindows,
  '20261201T1200_change_notifications': changeNotifications,
  '20261201T1600_refused_messages': refusedMessages,
  '20261201T1700_device_messages_received_idx': deviceMessagesReceivedIdx,
  '20261205T0900_dispatch_notifications': dispatchNotifications,
  '20261205T1700_positions_jamming': positionsJamming,
  '20261205T1800_zone_sources': zoneSources,
  '20261205T1830_declared_use': declaredUse,
  '20261205T1835_violations_province': violationsProvince,
  '20261205T1840_outbox_order': outboxOrder,
  '20261205T1900_violation_cases': violationCases,
  '20261205T1910_alert_titles': alertTitles,
  '20261205T2000_auditor_role': auditorRole,
  '20261205T2040_ingest_sessions': ingestSessions,
  '20261205T2100_evidence_keys': evidenceKeys,
  '20261205T2110_ingest_counters': ingestCounters,
  '20261205T2120_import_jobs_and_approvals': importJobsAndApprovals,
  '20261205T2130_violations_fillfactor': violationsFillfactor,
};
