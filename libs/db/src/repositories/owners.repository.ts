import { Kysely } from 'kysely';
import type { DB, NewOwner, OwnerRow, OwnerUpdate } from '../schema';

export interface OwnerQuery {
  readonly documentNumber?: string | undefined;
  readonly name?: string | undefined;
  readonly limit: number;
  readonly offset: number;
}

export class OwnersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<OwnerRow | undefined> {
    return this.db.selectFrom('owners').selectAll().where('id', '=', id).executeTakeFirst();
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
      .$if(query.documentNumber !== undefined, (qb) =>
        qb.where('document_number', '=', query.documentNumber!),
      )
      .$if(query.name !== undefined, (qb) => qb.where('name', 'ilike', `%${escapeLike(query.name!)}%`));
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
