import { Kysely, sql } from 'kysely';
import type { DB, NewOwner, OwnerRow, OwnerUpdate } from '../schema';

export interface OwnerQuery {
  readonly documentNumber?: string | undefined;
  readonly name?: string | undefined;
  /**
   * Only owners with a machine in a violation that some subscription of this agency covers (its jurisdiction,
   * as the violation routes decide it): the owners an officer of the agency needs to know.
   */
  readonly withCasesOfAgency?: string | undefined;
  readonly ownerId?: string | undefined;
  readonly limit: number;
  readonly offset: number;
}

export class OwnersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<OwnerRow | undefined> {
    return this.db.selectFrom('owners').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Whether the owner has a machine in a violation that some subscription of the agency covers. */
  async hasCaseOfAgency(ownerId: string, agencyId: string): Promise<boolean> {
    const found = await this.search({ withCasesOfAgency: agencyId, limit: 1, offset: 0, ownerId });
    return found.total > 0;
  }

  findByDocument(documentType: string, documentNumber: string): Promise<OwnerRow | undefined> {
    return this.db
      .selectFrom('owners')
      .selectAll()
      .where('document_type', '=', documentType)
      .where('document_number', '=', documentNumber)
      .executeTakeFirst();
  }

  create(owner: NewOwner): Promise<OwnerRow> {
    return this.db.insertInto('owners').values(owner).returningAll().executeTakeFirstOrThrow();
  }

  update(id: string, changes: OwnerUpdate): Promise<OwnerRow | undefined> {
    return this.db
      .updateTable('owners')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async search(query: OwnerQuery): Promise<{ items: OwnerRow[]; total: number }> {
    const base = this.db
      .selectFrom('owners')
      .$if(query.ownerId !== undefined, (qb) => qb.where('id', '=', query.ownerId!))
      .$if(query.documentNumber !== undefined, (qb) =>
        qb.where('document_number', '=', query.documentNumber!),
      )
      .$if(query.name !== undefined, (qb) => qb.where('name', 'ilike', `%${escapeLike(query.name!)}%`))
      .$if(query.withCasesOfAgency !== undefined, (qb) =>
        qb.where(sql<boolean>`exists (
          select 1 from machines m
          join violations v on v.machine_id = m.id
          where m.owner_id = owners.id
            and exists (
              select 1 from agency_subscriptions s
              where s.agency_id = ${query.withCasesOfAgency!}
                and (cardinality(s.zone_kinds) = 0 or v.zone_kind = any(s.zone_kinds))
                and (cardinality(s.departments) = 0 or coalesce(v.department, m.department) = any(s.departments))
            )
        )`),
      );
    const [items, count] = await Promise.all([
      base.selectAll().orderBy('name').orderBy('id').limit(query.limit).offset(query.offset).execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
