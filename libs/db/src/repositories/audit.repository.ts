import { Kysely } from 'kysely';
import type { AuditEntryRow, DB } from '../schema';

export interface Actor {
  readonly id: string | null;
  readonly username: string;
}

export interface AuditEntry {
  readonly actor: Actor;
  readonly action: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditQuery {
  /** An action, or every action under a prefix ending in a dot (`read.`). */
  readonly action?: string | undefined;
  readonly entityType?: string | undefined;
  readonly entityId?: string | undefined;
  readonly actorUsername?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly limit: number;
  readonly offset: number;
}

export class AuditRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async record(entry: AuditEntry, db: Kysely<DB> = this.db): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        actor_id: entry.actor.id,
        actor_username: entry.actor.username,
        action: entry.action,
        entity_type: entry.entityType,
        entity_id: entry.entityId,
        before: entry.before === undefined ? null : JSON.stringify(entry.before),
        after: entry.after === undefined ? null : JSON.stringify(entry.after),
      })
      .execute();
  }

  async search(query: AuditQuery): Promise<{ items: AuditEntryRow[]; total: number }> {
    const action = query.action;
    const base = this.db
      .selectFrom('audit_log')
      .$if(action !== undefined && !action.endsWith('.'), (qb) => qb.where('action', '=', action!))
      .$if(action !== undefined && action.endsWith('.'), (qb) =>
        qb.where('action', 'like', `${action!.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
      )
      .$if(query.entityType !== undefined, (qb) => qb.where('entity_type', '=', query.entityType!))
      .$if(query.entityId !== undefined, (qb) => qb.where('entity_id', '=', query.entityId!))
      .$if(query.actorUsername !== undefined, (qb) => qb.where('actor_username', '=', query.actorUsername!))
      .$if(query.from !== undefined, (qb) => qb.where('at', '>=', query.from!))
      .$if(query.to !== undefined, (qb) => qb.where('at', '<', query.to!));
    const [items, count] = await Promise.all([
      base.selectAll().orderBy('at', 'desc').orderBy('id').limit(query.limit).offset(query.offset).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }
}
