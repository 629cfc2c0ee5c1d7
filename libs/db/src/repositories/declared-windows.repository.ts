import { Kysely } from 'kysely';
import type { DB, DeclaredWindowRow, NewDeclaredWindow } from '../schema';

export class DeclaredWindowsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(window: NewDeclaredWindow): Promise<DeclaredWindowRow> {
    return this.db.insertInto('declared_windows').values(window).returningAll().executeTakeFirstOrThrow();
  }

  findById(machineId: string, id: string): Promise<DeclaredWindowRow | undefined> {
    return this.db
      .selectFrom('declared_windows')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByIdForUpdate(machineId: string, id: string): Promise<DeclaredWindowRow | undefined> {
    return this.db
      .selectFrom('declared_windows')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Every window of the machine, cancelled ones included, newest start first. */
  listForMachine(machineId: string): Promise<DeclaredWindowRow[]> {
    return this.db
      .selectFrom('declared_windows')
      .selectAll()
      .where('machine_id', '=', machineId)
      .orderBy('starts_at', 'desc')
      .orderBy('id')
      .execute();
  }

  /**
   * The machine's windows in force (not cancelled) that overlap [from, to): what ingest gives the integrity
   * monitor as the machine's declared windows.
   */
  activeOverlapping(machineId: string, from: Date, to: Date): Promise<DeclaredWindowRow[]> {
    return this.db
      .selectFrom('declared_windows')
      .selectAll()
      .where('machine_id', '=', machineId)
      .where('cancelled_at', 'is', null)
      .where('starts_at', '<', to)
      .where('ends_at', '>', from)
      .orderBy('starts_at')
      .orderBy('id')
      .execute();
  }

  /** The machines with a window in force (not cancelled) overlapping [from, to). */
  async machinesWithActive(from: Date, to: Date): Promise<string[]> {
    const rows = await this.db
      .selectFrom('declared_windows')
      .select('machine_id')
      .distinct()
      .where('cancelled_at', 'is', null)
      .where('starts_at', '<', to)
      .where('ends_at', '>', from)
      .execute();
    return rows.map((row) => row.machine_id);
  }

  cancel(
    id: string,
    cancellation: { cancelledAt: Date; cancelledBy: string | null; reason: string },
  ): Promise<DeclaredWindowRow | undefined> {
    return this.db
      .updateTable('declared_windows')
      .set({
        cancelled_at: cancellation.cancelledAt,
        cancelled_by: cancellation.cancelledBy,
        cancel_reason: cancellation.reason,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }
}
