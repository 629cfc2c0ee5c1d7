import { Inject, Injectable } from '@nestjs/common';
import { DEVICE_DIRECTORY, DeviceDirectory } from '@app/broker';
import type { Actor } from '@app/db';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MachineRow, MachineWithLinks, Repositories, Store } from '@app/db';
import {
  DeclaredUse,
  MachineStatus,
  UseDeclaration,
  allowedTransitions,
  checkUseDeclaration,
  isDeclaredUse,
  formatRegistryNumber,
  isAllowedTransition,
  normaliseDepartment,
  Viewer,
  documentFor,
} from '@app/registry';
import {
  AuthenticatedUser,
  actorOf,
  conflict,
  notFound,
  unprocessable,
  validationFailed,
  Page,
  pageWindow,
  toPage,
} from '@app/platform';
import {
  ChangeDeclaredUseDto,
  ChangeStatusDto,
  CreateMachineDto,
  MachineQueryDto,
  TransferOwnershipDto,
  UpdateMachineDto,
} from './machines.dto';

export interface MachineView {
  id: string;
  registryNumber: string;
  category: string;
  make: string;
  model: string;
  year: number;
  serialNumber: string;
  engineNumber: string | null;
  /** Null: enrolled before uses were declared; unknown. */
  declaredUse: DeclaredUse | null;
  /** Only with declared use mining (or kept from before uses were declared). */
  reinfoCode: string | null;
  /** Only with declared use mining. */
  concessionCode: string | null;
  department: string;
  status: string;
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface MachineSummary extends MachineView {
  owner: { documentType: string; documentNumber: string; name: string };
  tracker: { id: string; imei: string } | null;
}

export function machineView(row: MachineRow): MachineView {
  return {
    id: row.id,
    registryNumber: row.registry_number,
    category: row.category,
    make: row.make,
    model: row.model,
    year: row.year,
    serialNumber: row.serial_number,
    engineNumber: row.engine_number,
    declaredUse: isDeclaredUse(row.declared_use) ? row.declared_use : null,
    reinfoCode: row.reinfo_code,
    concessionCode: row.concession_code,
    department: row.department,
    status: row.status,
    ownerId: row.owner_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Registry staff and auditors see owners whole; officers a natural person's document masked (need-to-know). */
const WHOLE: Viewer = { role: 'admin', agencyKind: null };

function machineSummary(row: MachineWithLinks, viewer: Viewer = WHOLE): MachineSummary {
  return {
    ...machineView(row),
    owner: {
      documentType: row.owner_document_type,
      documentNumber: documentFor(viewer, row.owner_document_type, row.owner_document_number),
      name: row.owner_name,
    },
    tracker: row.tracker_id && row.tracker_imei ? { id: row.tracker_id, imei: row.tracker_imei } : null,
  };
}

/** The declaration normalised; the DTO's validation has already refused what this would. */
function useDeclaration(input: {
  declaredUse?: unknown;
  reinfoCode?: unknown;
  concessionCode?: unknown;
}): UseDeclaration {
  const checked = checkUseDeclaration({
    declaredUse: input.declaredUse,
    reinfoCode: input.reinfoCode,
    concessionCode: input.concessionCode,
  });
  if (!checked.declaration) {
    throw validationFailed(checked.problems.map((p) => ({ field: p.field, messages: [p.message] })));
  }
  return checked.declaration;
}

export type EnrolmentInput = Omit<CreateMachineDto, 'department'> & { department: string };

/** How far back a clerk may date a tracker's installation, and how far ahead a clock may be. */
const INSTALLED_AT_MAX_AGE_MS = 30 * 24 * 3_600_000;
const INSTALLED_AT_AHEAD_MS = 5 * 60_000;

@Injectable()
export class MachinesService {
  constructor(
    private readonly store: Store,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {}

  create(input: CreateMachineDto, by: AuthenticatedUser): Promise<MachineView> {
    return this.store.transaction((repos) => this.enrol(repos, input, by, new Date()));
  }

  /** Enrols one machine inside the caller's transaction; shared by the API and the CSV import. */
  async enrol(
    repos: Repositories,
    input: EnrolmentInput,
    by: AuthenticatedUser,
    now: Date,
  ): Promise<MachineView> {
    if (!(await repos.owners.findById(input.ownerId)))
      throw unprocessable(`owner ${input.ownerId} does not exist`, 'ownerId');
    if (await repos.machines.findBySerialNumber(input.serialNumber)) {
      throw conflict('serialNumber', 'a machine with this serial number is already registered');
    }
    const declaration = input.declaredUse === undefined ? undefined : useDeclaration(input);
    const year = now.getUTCFullYear();
    const sequence = await repos.machines.nextRegistrySequence(year);
    const machine = await repos.machines.create({
      registry_number: formatRegistryNumber(this.config.registryNumberPrefix, year, sequence),
      category: input.category,
      make: input.make.trim(),
      model: input.model.trim(),
      year: input.year,
      serial_number: input.serialNumber,
      engine_number: input.engineNumber ?? null,
      declared_use: declaration?.declaredUse ?? null,
      reinfo_code: declaration?.reinfoCode ?? null,
      concession_code: declaration?.concessionCode ?? null,
      department: normaliseDepartment(input.department)!,
      owner_id: input.ownerId,
      created_at: now,
      updated_at: now,
    });
    const actor = actorOf(by);
    await repos.machines.recordStatusChange({
      machineId: machine.id,
      fromStatus: null,
      toStatus: machine.status,
      reason: 'enrolled',
      changedBy: actor.id,
    });
    await repos.machines.recordOwnership({
      machineId: machine.id,
      ownerId: input.ownerId,
      reason: 'enrolment',
      recordedBy: actor.id,
      at: now,
    });
    const view = machineView(machine);
    await repos.audit.record({
      actor,
      action: 'machine.enrolled',
      entityType: 'machine',
      entityId: machine.id,
      after: view,
    });
    return view;
  }

  async get(id: string, viewer: Viewer = WHOLE): Promise<MachineSummary> {
    const [machine] = (await this.store.repos.machines.search({ id, limit: 1, offset: 0 })).items;
    if (!machine) throw notFound('machine', id);
    return machineSummary(machine, viewer);
  }

  async search(query: MachineQueryDto, viewer: Viewer = WHOLE): Promise<Page<MachineSummary>> {
    const result = await this.store.repos.machines.search({
      registryNumber: query.registryNumber,
      imei: query.imei,
      ownerDocument: query.ownerDocument,
      category: query.category,
      status: query.status,
      department: query.department ? normaliseDepartment(query.department) : undefined,
      declaredUse: query.declaredUse === 'unknown' ? null : query.declaredUse,
      ...pageWindow(query),
    });
    return toPage(query, result, (row) => machineSummary(row, viewer));
  }

  update(id: string, changes: UpdateMachineDto, by: AuthenticatedUser): Promise<MachineView> {
    return this.store.transaction(async (repos) => {
      const before = await this.lockedMachine(repos, id);
      if (before.status === 'decommissioned')
        throw unprocessable('a decommissioned machine cannot be changed', 'status');
      const after = machineView(
        (await repos.machines.update(id, {
          ...(changes.make !== undefined ? { make: changes.make.trim() } : {}),
          ...(changes.model !== undefined ? { model: changes.model.trim() } : {}),
          ...(changes.year !== undefined ? { year: changes.year } : {}),
          ...(changes.engineNumber !== undefined ? { engine_number: changes.engineNumber } : {}),
          ...(changes.department !== undefined
            ? { department: normaliseDepartment(changes.department)! }
            : {}),
        }))!,
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'machine.updated',
        entityType: 'machine',
        entityId: id,
        before: machineView(before),
        after,
      });
      return after;
    });
  }

  /** Replaces the machine's declaration of use (and its mining codes) as a whole, audited with the reason. */
  changeDeclaredUse(id: string, input: ChangeDeclaredUseDto, by: AuthenticatedUser): Promise<MachineView> {
    return this.store.transaction(async (repos) => {
      const before = await this.lockedMachine(repos, id);
      if (before.status === 'decommissioned')
        throw unprocessable('a decommissioned machine cannot change its declared use', 'status');
      const declaration = useDeclaration(input);
      const after = machineView(
        (await repos.machines.update(id, {
          declared_use: declaration.declaredUse,
          reinfo_code: declaration.reinfoCode,
          concession_code: declaration.concessionCode,
        }))!,
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'machine.declared_use_changed',
        entityType: 'machine',
        entityId: id,
        before: machineView(before),
        after: { ...after, reason: input.reason },
      });
      return after;
    });
  }

  changeStatus(id: string, input: ChangeStatusDto, by: AuthenticatedUser): Promise<MachineView> {
    return this.store.transaction(async (repos) => {
      const before = await this.lockedMachine(repos, id);
      const from = before.status as MachineStatus;
      if (!isAllowedTransition(from, input.status)) {
        const allowed = allowedTransitions(from);
        throw unprocessable(
          `a machine cannot go from ${from} to ${input.status}; allowed: ${allowed.length ? allowed.join(', ') : 'none'}`,
          'status',
        );
      }
      if (input.status === 'active') await this.requireTrackerWithCredentials(repos, id);
      const after = machineView((await repos.machines.update(id, { status: input.status }))!);
      const actor = actorOf(by);
      if (input.status === 'decommissioned') {
        await this.releaseTracker(repos, id, `machine decommissioned: ${input.reason}`, actor);
      }
      await repos.machines.recordStatusChange({
        machineId: id,
        fromStatus: from,
        toStatus: input.status,
        reason: input.reason,
        changedBy: actor.id,
      });
      await repos.audit.record({
        actor,
        action: 'machine.status_changed',
        entityType: 'machine',
        entityId: id,
        before: machineView(before),
        after: { ...after, reason: input.reason },
      });
      return after;
    });
  }

  transfer(id: string, input: TransferOwnershipDto, by: AuthenticatedUser): Promise<MachineView> {
    return this.store.transaction(async (repos) => {
      const before = await this.lockedMachine(repos, id);
      if (before.status === 'decommissioned')
        throw unprocessable('a decommissioned machine cannot change owner', 'status');
      if (before.owner_id === input.ownerId)
        throw unprocessable('the machine already belongs to this owner', 'ownerId');
      if (!(await repos.owners.findById(input.ownerId)))
        throw unprocessable(`owner ${input.ownerId} does not exist`, 'ownerId');
      const now = new Date();
      const after = machineView((await repos.machines.update(id, { owner_id: input.ownerId }))!);
      const actor = actorOf(by);
      await repos.machines.recordOwnership({
        machineId: id,
        ownerId: input.ownerId,
        reason: input.reason,
        recordedBy: actor.id,
        at: now,
      });
      await repos.audit.record({
        actor,
        action: 'machine.ownership_transferred',
        entityType: 'machine',
        entityId: id,
        before: machineView(before),
        after: { ...after, reason: input.reason },
      });
      return after;
    });
  }

  bindTracker(id: string, trackerId: string, by: AuthenticatedUser, installedAt?: string) {
    const now = Date.now();
    const boundAt = installedAt === undefined ? new Date(now) : new Date(installedAt);
    if (boundAt.getTime() > now + INSTALLED_AT_AHEAD_MS)
      throw unprocessable('installedAt is in the future', 'installedAt');
    if (boundAt.getTime() < now - INSTALLED_AT_MAX_AGE_MS)
      throw unprocessable('installedAt is more than 30 days ago', 'installedAt');
    return this.store.transaction(async (repos) => {
      const machine = await this.lockedMachine(repos, id);
      if (machine.status === 'decommissioned')
        throw unprocessable('a decommissioned machine cannot get a tracker', 'status');
      const tracker = await repos.trackers.findById(trackerId);
      if (!tracker) throw unprocessable(`tracker ${trackerId} does not exist`, 'trackerId');
      const ofMachine = await repos.trackers.openBindingOfMachine(id);
      if (ofMachine) throw conflict('machineId', 'the machine already has a bound tracker; unbind it first');
      const ofTracker = await repos.trackers.openBindingOfTracker(trackerId);
      if (ofTracker) throw conflict('trackerId', 'the tracker is already bound to a machine');
      const previous = (await repos.trackers.bindingsOfTracker(trackerId)).some(
        (b) => b.unbound_at !== null && new Date(b.unbound_at) > boundAt,
      );
      if (previous)
        throw unprocessable('the tracker was bound to a machine after installedAt', 'installedAt');
      const actor = actorOf(by);
      const binding = await repos.trackers.bind(trackerId, id, actor.id, boundAt);
      await repos.audit.record({
        actor,
        action: 'tracker.bound',
        entityType: 'machine',
        entityId: id,
        after: { trackerId, imei: tracker.imei, bindingId: binding.id, boundAt: binding.bound_at },
      });
      return { id: binding.id, machineId: id, trackerId, imei: tracker.imei, boundAt: binding.bound_at };
    });
  }

  unbindTracker(id: string, reason: string, by: AuthenticatedUser) {
    return this.store.transaction(async (repos) => {
      const machine = await this.lockedMachine(repos, id);
      const binding = await repos.trackers.openBindingOfMachine(id);
      if (!binding) throw unprocessable('the machine has no bound tracker', 'trackerId');
      if (machine.status === 'active') {
        throw unprocessable(
          'an active machine must keep its tracker; suspend the machine before unbinding it',
          'status',
        );
      }
      const closed = (await this.releaseTracker(repos, id, reason, actorOf(by)))!;
      return {
        id: closed.id,
        machineId: id,
        trackerId: closed.tracker_id,
        boundAt: closed.bound_at,
        unboundAt: closed.unbound_at,
        reason,
      };
    });
  }

  async history(id: string, viewer: Viewer = WHOLE) {
    const machine = await this.store.repos.machines.findById(id);
    if (!machine) throw notFound('machine', id);
    const [statuses, ownerships, trackers] = await Promise.all([
      this.store.repos.machines.statusHistory(id),
      this.store.repos.machines.ownershipHistory(id),
      this.store.repos.trackers.bindingsOfMachine(id),
    ]);
    return {
      machineId: id,
      registryNumber: machine.registry_number,
      statuses: statuses.map((s) => ({
        from: s.from_status,
        to: s.to_status,
        reason: s.reason,
        changedBy: s.changed_by,
        at: s.changed_at,
      })),
      owners: ownerships.map((o) => ({
        ownerId: o.owner_id,
        name: o.owner_name,
        documentNumber: documentFor(viewer, o.owner_document_type, o.owner_document_number),
        from: o.started_at,
        to: o.ended_at,
        reason: o.reason,
      })),
      trackers: trackers.map((b) => ({
        trackerId: b.tracker_id,
        imei: b.imei,
        from: b.bound_at,
        to: b.unbound_at,
        unbindReason: b.unbind_reason,
      })),
    };
  }

  /**
   * Unbinds the machine's tracker and withdraws its device access: a tracker that is on no machine, or on a
   * decommissioned one, may not connect. A tracker bound again gets new credentials.
   */
  private async releaseTracker(repos: Repositories, machineId: string, reason: string, actor: Actor) {
    const binding = await repos.trackers.openBindingOfMachine(machineId);
    if (!binding) return undefined;
    const now = new Date();
    const closed = (await repos.trackers.unbind(binding.id, actor.id, reason, now))!;
    await repos.audit.record({
      actor,
      action: 'tracker.unbound',
      entityType: 'machine',
      entityId: machineId,
      before: { trackerId: binding.tracker_id, bindingId: binding.id },
      after: { unboundAt: closed.unbound_at, reason },
    });
    const tracker = (await repos.trackers.findById(binding.tracker_id))!;
    if (tracker.secret_hash) {
      await repos.trackers.update(tracker.id, { secret_hash: null, credentials_revoked_at: now });
      await repos.audit.record({
        actor,
        action: 'tracker.credentials_revoked',
        entityType: 'tracker',
        entityId: tracker.id,
        before: { credentials: 'active' },
        after: { credentials: 'revoked', reason },
      });
    }
    await this.directory.accessWithdrawn(tracker.imei);
    return closed;
  }

  private async lockedMachine(repos: Repositories, id: string): Promise<MachineRow> {
    const machine = await repos.machines.findByIdForUpdate(id);
    if (!machine) throw notFound('machine', id);
    return machine;
  }

  private async requireTrackerWithCredentials(repos: Repositories, machineId: string): Promise<void> {
    const binding = await repos.trackers.openBindingOfMachine(machineId);
    if (!binding) throw unprocessable('a machine becomes active only with a bound tracker', 'status');
    const tracker = await repos.trackers.findById(binding.tracker_id);
    if (!tracker?.secret_hash) {
      throw unprocessable('a machine becomes active only when its tracker has device credentials', 'status');
    }
  }
}
