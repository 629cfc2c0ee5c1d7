import { Injectable } from '@nestjs/common';
import { DeclaredWindowRow, Repositories, Store } from '@app/db';
import { AuthenticatedUser, actorOf, notFound, unprocessable } from '@app/platform';
import { CancelWindowDto, CreateWindowDto } from './windows.dto';

export interface WindowView {
  id: string;
  machineId: string;
  kind: string;
  from: Date;
  to: Date;
  reason: string;
  reference: string | null;
  status: 'active' | 'cancelled';
  createdBy: string | null;
  createdAt: Date;
  cancelledAt: Date | null;
  cancelledBy: string | null;
  cancelReason: string | null;
}

export function windowView(row: DeclaredWindowRow): WindowView {
  return {
    id: row.id,
    machineId: row.machine_id,
    kind: row.kind,
    from: row.starts_at,
    to: row.ends_at,
    reason: row.reason,
    reference: row.reference,
    status: row.cancelled_at ? 'cancelled' : 'active',
    createdBy: row.created_by,
    createdAt: row.created_at,
    cancelledAt: row.cancelled_at,
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
  };
}

/** Maintenance, out-of-service and authorised-transport windows of machines; every change audited. */
@Injectable()
export class WindowsService {
  constructor(private readonly store: Store) {}

  declare(machineId: string, input: CreateWindowDto, by: AuthenticatedUser): Promise<WindowView> {
    return this.store.transaction(async (repos) => {
      const machine = await this.machine(repos, machineId);
      if (machine.status === 'decommissioned')
        throw unprocessable('a decommissioned machine cannot be given a declared window', 'machineId');
      const actor = actorOf(by);
      const row = await repos.declaredWindows.create({
        machine_id: machineId,
        kind: input.kind,
        starts_at: new Date(input.from),
        ends_at: new Date(input.to),
        reason: input.reason.trim(),
        reference: input.reference?.trim() ?? null,
        created_by: actor.id,
      });
      const view = windowView(row);
      await repos.audit.record({
        actor,
        action: 'machine.window_declared',
        entityType: 'machine',
        entityId: machineId,
        after: view,
      });
      return view;
    });
  }

  async list(machineId: string): Promise<WindowView[]> {
    await this.machine(this.store.repos, machineId);
    return (await this.store.repos.declaredWindows.listForMachine(machineId)).map(windowView);
  }

  cancel(
    machineId: string,
    windowId: string,
    input: CancelWindowDto,
    by: AuthenticatedUser,
  ): Promise<WindowView> {
    return this.store.transaction(async (repos) => {
      await this.machine(repos, machineId);
      const before = await repos.declaredWindows.findByIdForUpdate(machineId, windowId);
      if (!before) throw notFound('declared window', windowId);
      if (before.cancelled_at) throw unprocessable('the window is already cancelled', 'windowId');
      const actor = actorOf(by);
      const after = windowView(
        (await repos.declaredWindows.cancel(windowId, {
          cancelledAt: new Date(),
          cancelledBy: actor.id,
          reason: input.reason.trim(),
        }))!,
      );
      await repos.audit.record({
        actor,
        action: 'machine.window_cancelled',
        entityType: 'machine',
        entityId: machineId,
        before: windowView(before),
        after,
      });
      return after;
    });
  }

  private async machine(repos: Repositories, id: string) {
    const machine = await repos.machines.findById(id);
    if (!machine) throw notFound('machine', id);
    return machine;
  }
}
