import { Kysely, sql } from 'kysely';
import type { DB } from './schema';
import { AuditRepository } from './repositories/audit.repository';
import { DeclaredWindowsRepository } from './repositories/declared-windows.repository';
import { MachinesRepository } from './repositories/machines.repository';
import { OwnersRepository } from './repositories/owners.repository';
import { PositionsRepository } from './repositories/positions.repository';
import { ViolationsRepository } from './repositories/violations.repository';
import { TrackersRepository } from './repositories/trackers.repository';
import { AgenciesRepository, UsersRepository } from './repositories/users.repository';
import { ZoneCatalogueRepository } from './repositories/zone-catalogue.repository';
import { AgencyChannelsRepository } from './repositories/agency-channels.repository';
import { DeliveriesRepository } from './repositories/deliveries.repository';
import { EvidenceRepository } from './repositories/evidence.repository';
import { ViolationCasesRepository } from './repositories/violation-cases.repository';
import { IngestSessionsRepository } from './repositories/ingest-sessions.repository';
import { IngestCountersRepository } from './repositories/ingest-counters.repository';
import { ZoneImportJobsRepository } from './repositories/zone-import-jobs.repository';
import { ApprovalsRepository } from './repositories/approvals.repository';

/** The repositories, bound to one connection or to one transaction. */
export interface Repositories {
  readonly users: UsersRepository;
  readonly agencies: AgenciesRepository;
  readonly owners: OwnersRepository;
  readonly machines: MachinesRepository;
  readonly trackers: TrackersRepository;
  readonly audit: AuditRepository;
  readonly zones: ZoneCatalogueRepository;
  readonly positions: PositionsRepository;
  readonly violations: ViolationsRepository;
  readonly violationCases: ViolationCasesRepository;
  readonly evidence: EvidenceRepository;
  readonly agencyChannels: AgencyChannelsRepository;
  readonly deliveries: DeliveriesRepository;
  readonly declaredWindows: DeclaredWindowsRepository;
  readonly ingestSessions: IngestSessionsRepository;
  readonly ingestCounters: IngestCountersRepository;
  readonly zoneImportJobs: ZoneImportJobsRepository;
  readonly approvals: ApprovalsRepository;
}

export function repositoriesFor(db: Kysely<DB>): Repositories {
  return {
    users: new UsersRepository(db),
    agencies: new AgenciesRepository(db),
    owners: new OwnersRepository(db),
    machines: new MachinesRepository(db),
    trackers: new TrackersRepository(db),
    audit: new AuditRepository(db),
    zones: new ZoneCatalogueRepository(db),
    positions: new PositionsRepository(db),
    violations: new ViolationsRepository(db),
    violationCases: new ViolationCasesRepository(db),
    evidence: new EvidenceRepository(db),
    agencyChannels: new AgencyChannelsRepository(db),
    deliveries: new DeliveriesRepository(db),
    declaredWindows: new DeclaredWindowsRepository(db),
    ingestSessions: new IngestSessionsRepository(db),
    ingestCounters: new IngestCountersRepository(db),
    zoneImportJobs: new ZoneImportJobsRepository(db),
    approvals: new ApprovalsRepository(db),
  };
}

/** Entry point of the storage layer: plain reads through `repos`, every change through `transaction`. */
export class Store {
  readonly repos: Repositories;

  constructor(readonly db: Kysely<DB>) {
    this.repos = repositoriesFor(db);
  }

  transaction<T>(work: (repos: Repositories, tx: Kysely<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(repositoriesFor(tx), tx));
  }
}

/**
 * Bounds every statement of the caller's transaction to `ms` milliseconds (PostgreSQL's statement_timeout, local
 * to the transaction): a statement that runs longer fails with SQLSTATE 57014 and the transaction rolls back.
 */
export async function setStatementTimeout(tx: Kysely<DB>, ms: number): Promise<void> {
  await sql.raw(`set local statement_timeout = ${Math.max(1, Math.floor(ms))}`).execute(tx);
}
