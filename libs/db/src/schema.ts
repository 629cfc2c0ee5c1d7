import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ZoneSource } from '@app/geofence/model';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface AgenciesTable {
  id: Generated<string>;
  code: string;
  name: string;
  kind: string;
  department: string | null;
  mqtt_secret_hash: Generated<string | null>;
  mqtt_credentials_issued_at: Generated<Date | null>;
  created_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  password_hash: string;
  role: string;
  agency_id: string | null;
  active: Generated<boolean>;
  created_at: Timestamp;
}

export interface OwnersTable {
  id: Generated<string>;
  kind: string;
  document_type: string;
  document_number: string;
  name: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RegistryCountersTable {
  year: number;
  last_number: number;
}

export interface MachinesTable {
  id: Generated<string>;
  registry_number: string;
  category: string;
  make: string;
  model: string;
  year: number;
  serial_number: string;
  engine_number: string | null;
  reinfo_code: string | null;
  /** One of DECLARED_USES; null: enrolled before uses were declared, unknown. */
  declared_use: string | null;
  concession_code: string | null;
  department: string;
  status: Generated<string>;
  owner_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MachineStatusChangesTable {
  id: Generated<string>;
  machine_id: string;
  from_status: string | null;
  to_status: string;
  reason: string;
  changed_by: string | null;
  changed_at: Timestamp;
}

export interface MachineOwnershipsTable {
  id: Generated<string>;
  machine_id: string;
  owner_id: string;
  started_at: Timestamp;
  ended_at: Date | null;
  reason: string;
  recorded_by: string | null;
}

export interface TrackersTable {
  id: Generated<string>;
  imei: string;
  model: string;
  firmware: string | null;
  iccid: string | null;
  interval_moving_seconds: number;
  interval_ignition_off_seconds: number;
  secret_hash: string | null;
  credentials_issued_at: Date | null;
  credentials_revoked_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TrackerBindingsTable {
  id: Generated<string>;
  tracker_id: string;
  machine_id: string;
  bound_at: Timestamp;
  bound_by: string | null;
  unbound_at: Date | null;
  unbound_by: string | null;
  unbind_reason: string | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_id: string | null;
  actor_username: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

export interface ZoneRevisionsTable {
  revision: string;
  zone_id: string;
  kind: string;
  name: string;
  code: string | null;
  authority: string;
  legal_basis: string;
  geometry: Json<unknown>;
  buffer_meters: number | null;
  valid_from: string | null;
  valid_to: string | null;
  properties: Json<Record<string, string | number | boolean | null>> | null;
  source: Json<ZoneSource> | null;
  created_at: Timestamp;
}

export interface ZoneCatalogueVersionsTable {
  version: string;
  parent_version: string | null;
  description: string;
  zone_count: number;
  report: Json<unknown> | null;
  created_by: string | null;
  created_at: Timestamp;
  activated_at: Date | null;
}

export interface ZoneCatalogueEntriesTable {
  version: string;
  zone_id: string;
  revision: string;
  layer: string;
}

export interface ZoneCatalogueActiveTable {
  singleton: Generated<boolean>;
  version: string;
  activated_at: Timestamp;
}

export interface DeviceMessagesTable {
  id: Generated<string>;
  imei: string;
  topic: string;
  payload: Buffer;
  payload_sha256: string;
  received_at: Date;
}

/** A device message the database refused to store, kept with the reason (see the migration). */
export interface RefusedDeviceMessagesTable {
  id: Generated<string>;
  imei: string | null;
  topic: string;
  payload: Buffer;
  received_at: Date;
  refused_at: Generated<Date>;
  sqlstate: string | null;
  error: string;
}

/** A broker session (client id) ingest has consumed with, and who holds it now (see the migration). */
export interface IngestSessionsTable {
  broker: string;
  client_id: string;
  instance_id: string;
  connection_index: number;
  first_used_at: Generated<Date>;
  last_used_at: Generated<Date>;
  lease_owner: string | null;
  lease_purpose: 'consuming' | 'draining' | null;
  lease_until: Date | null;
  drained_at: Date | null;
  drained_messages: number | null;
}

/** One counter of one ingest process run (see the migration). */
export interface IngestCountersTable {
  run_id: string;
  instance_id: string;
  counter: string;
  value: ColumnType<string, number, number>;
  started_at: Date;
  updated_at: Date;
}

export interface PositionsTable {
  imei: string;
  fix_time: Date;
  received_at: Date;
  lat: number;
  lon: number;
  h3_cell: string | null;
  speed_kmh: number | null;
  heading_deg: number | null;
  altitude_m: number | null;
  hdop: number | null;
  pdop: number | null;
  satellites: number | null;
  ignition: boolean | null;
  external_voltage_v: number | null;
  battery_v: number | null;
  events: string[];
  flags: string[];
  trusted: boolean;
  sequence: ColumnType<string | null, number | null, number | null>;
  /** 'none', 'warning' or 'critical', as the tracker reported it. */
  gnss_jamming: ColumnType<string | null, string | null | undefined, string | null>;
  gsm_jamming: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  source: string;
  message_id: string;
  message_index: number;
  stored_at: Generated<Date>;
}

/** A zone a violation is about, as the catalogue described it when the violation listed it. */
export interface ViolationZone {
  id: string;
  name: string;
  kind: string;
  layer?: string;
}

export interface ViolationsTable {
  id: Generated<string>;
  machine_id: string;
  imei: string;
  zone_id: string;
  zone_name: string;
  zone_kind: string;
  rule_id: string;
  severity: string;
  legal_basis: string;
  /** What the alert is called and says, in Spanish (es-PE), with the English beside. */
  title: Generated<string>;
  title_en: Generated<string>;
  description: string;
  description_en: Generated<string>;
  catalogue_version: string;
  episode_id: string;
  status: Generated<string>;
  started_at: Date;
  confirmed_at: Date;
  last_seen_at: Date;
  closed_at: Date | null;
  late: boolean;
  delay_ms: ColumnType<string, number, number>;
  confirming_fixes: Json<unknown>;
  /** Every zone of the case: `ViolationZone[]`. */
  zones: ColumnType<ViolationZone[], string | undefined, string>;
  /** Shared by the violations of one machine at the same time under different legal bases (one act). */
  incident_id: string;
  department: Generated<string | null>;
  province: Generated<string | null>;
  workflow_status: Generated<string>;
  resolution: Generated<string | null>;
  escalation_level: Generated<number>;
  escalated_at: Generated<Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OutboxEventsTable {
  id: Generated<string>;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: Json<unknown>;
  created_at: Timestamp;
  published_at: Date | null;
  /** Order in which the events were written. */
  seq: ColumnType<string, never, never>;
}

export interface ViolationStepsTable {
  id: Generated<string>;
  violation_id: string;
  step: string;
  at: Timestamp;
  actor_id: string | null;
  actor_username: string;
  agency_id: string | null;
  notes: string | null;
  reference: string | null;
  resolution: string | null;
  escalation_level: number | null;
}

export interface EvidenceLinksTable {
  violation_id: string;
  seq: number;
  kind: string;
  ref: string;
  item_digest: string;
  prev_hash: string;
  hash: string;
  sealed_at: Date;
  canonicalization: string;
}

export interface AgencySubscriptionsTable {
  id: Generated<string>;
  agency_id: string;
  zone_kinds: string[];
  departments: string[];
  severities: string[];
  level: number;
  created_at: Timestamp;
}

export interface AgencyChannelsTable {
  id: Generated<string>;
  agency_id: string;
  kind: string;
  url: string | null;
  secret: string | null;
  active: Generated<boolean>;
  created_at: Timestamp;
}

export interface DeliveriesTable {
  id: Generated<string>;
  outbox_event_id: string;
  agency_id: string;
  channel_id: string;
  event_id: string;
  event_type: string;
  violation_id: string;
  body: string;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  window_started_at: Timestamp;
  lease_owner: string | null;
  lease_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Date | null;
  dead_at: Date | null;
}

/** Public keys only: the private key that signs lives outside the database (EVIDENCE_SIGNING_KEY). */
export interface SigningKeysTable {
  key_id: string;
  algorithm: string;
  public_key: string;
  created_at: Timestamp;
  retired_at: Date | null;
}

export interface EvidenceAnchorsTable {
  seq: number;
  anchored_at: Date;
  previous_hash: string;
  hash: string;
  key_id: string;
  signature: string;
  anchor: unknown;
}

export interface EvidenceAnchoredHeadsTable {
  violation_id: string;
  length: number;
  head: string;
  anchor_seq: number;
}

export interface DeclaredWindowsTable {
  id: Generated<string>;
  machine_id: string;
  kind: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  reference: string | null;
  created_by: string | null;
  created_at: Timestamp;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  cancel_reason: string | null;
}

export interface ZoneImportJobsTable {
  id: Generated<string>;
  layer: string;
  activate: boolean;
  status: Generated<string>;
  stage: Generated<string>;
  progress: Json<unknown> | null;
  result: Json<unknown> | null;
  error: string | null;
  timeout_seconds: number;
  created_by: string | null;
  created_by_username: string;
  created_at: Timestamp;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Timestamp;
}

export interface ApprovalProposalsTable {
  id: Generated<string>;
  kind: string;
  entity_id: string;
  payload: Json<unknown>;
  reason: string;
  status: Generated<string>;
  proposed_by: string | null;
  proposed_by_username: string;
  proposer_agency_id: string | null;
  proposed_at: Timestamp;
  decided_by: string | null;
  decided_by_username: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}

export interface DB {
  agencies: AgenciesTable;
  users: UsersTable;
  owners: OwnersTable;
  registry_counters: RegistryCountersTable;
  machines: MachinesTable;
  machine_status_changes: MachineStatusChangesTable;
  machine_ownerships: MachineOwnershipsTable;
  trackers: TrackersTable;
  tracker_bindings: TrackerBindingsTable;
  audit_log: AuditLogTable;
  zone_revisions: ZoneRevisionsTable;
  zone_catalogue_versions: ZoneCatalogueVersionsTable;
  zone_catalogue_entries: ZoneCatalogueEntriesTable;
  zone_catalogue_active: ZoneCatalogueActiveTable;
  device_messages: DeviceMessagesTable;
  refused_device_messages: RefusedDeviceMessagesTable;
  ingest_sessions: IngestSessionsTable;
  ingest_counters: IngestCountersTable;
  positions: PositionsTable;
  violations: ViolationsTable;
  outbox_events: OutboxEventsTable;
  violation_steps: ViolationStepsTable;
  evidence_links: EvidenceLinksTable;
  agency_subscriptions: AgencySubscriptionsTable;
  agency_channels: AgencyChannelsTable;
  deliveries: DeliveriesTable;
  signing_keys: SigningKeysTable;
  evidence_anchors: EvidenceAnchorsTable;
  evidence_anchored_heads: EvidenceAnchoredHeadsTable;
  declared_windows: DeclaredWindowsTable;
  zone_import_jobs: ZoneImportJobsTable;
  approval_proposals: ApprovalProposalsTable;
}

export type AgencyRow = Selectable<AgenciesTable>;
export type UserRow = Selectable<UsersTable>;
export type OwnerRow = Selectable<OwnersTable>;
export type NewOwner = Insertable<OwnersTable>;
export type OwnerUpdate = Updateable<OwnersTable>;
export type MachineRow = Selectable<MachinesTable>;
export type NewMachine = Insertable<MachinesTable>;
export type MachineUpdate = Updateable<MachinesTable>;
export type TrackerRow = Selectable<TrackersTable>;
export type NewTracker = Insertable<TrackersTable>;
export type TrackerUpdate = Updateable<TrackersTable>;
export type TrackerBindingRow = Selectable<TrackerBindingsTable>;
export type MachineStatusChangeRow = Selectable<MachineStatusChangesTable>;
export type MachineOwnershipRow = Selectable<MachineOwnershipsTable>;
export type AuditEntryRow = Selectable<AuditLogTable>;
export type ZoneRevisionRow = Selectable<ZoneRevisionsTable>;
export type ZoneCatalogueVersionRow = Selectable<ZoneCatalogueVersionsTable>;
export type PositionRow = Selectable<PositionsTable>;
export type IngestSessionRow = Selectable<IngestSessionsTable>;
export type RefusedDeviceMessageRow = Selectable<RefusedDeviceMessagesTable>;
export type NewPosition = Insertable<PositionsTable>;
export type ViolationRow = Selectable<ViolationsTable>;
export type OutboxEventRow = Selectable<OutboxEventsTable>;
export type ViolationStepRow = Selectable<ViolationStepsTable>;
export type EvidenceLinkRow = Selectable<EvidenceLinksTable>;
export type AgencySubscriptionRow = Selectable<AgencySubscriptionsTable>;
export type AgencyChannelRow = Selectable<AgencyChannelsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type DeclaredWindowRow = Selectable<DeclaredWindowsTable>;
export type NewDeclaredWindow = Insertable<DeclaredWindowsTable>;
export type ZoneImportJobRow = Selectable<ZoneImportJobsTable>;
export type ApprovalProposalRow = Selectable<ApprovalProposalsTable>;
