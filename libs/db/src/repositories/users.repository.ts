import { Kysely } from 'kysely';
import type { AgencyRow, DB, UserRow } from '../schema';

export interface NewUserInput {
  readonly username: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly role: string;
  readonly agencyId: string | null;
}

export class UsersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().orderBy('username').execute();
  }

  async countByRole(role: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('role', '=', role)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  create(input: NewUserInput): Promise<UserRow> {
    return this.db
      .insertInto('users')
      .values({
        username: input.username,
        display_name: input.displayName,
        password_hash: input.passwordHash,
        role: input.role,
        agency_id: input.agencyId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  setActive(id: string, active: boolean): Promise<UserRow | undefined> {
    return this.db
      .updateTable('users')
      .set({ active })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }
}

export interface NewAgencyInput {
  readonly code: string;
  readonly name: string;
  readonly kind: string;
  readonly department: string | null;
}

export class AgenciesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  list(): Promise<AgencyRow[]> {
    return this.db.selectFrom('agencies').selectAll().orderBy('code').execute();
  }

  findById(id: string): Promise<AgencyRow | undefined> {
    return this.db.selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirst();
  }

  create(input: NewAgencyInput): Promise<AgencyRow> {
    return this.db.insertInto('agencies').values(input).returningAll().executeTakeFirstOrThrow();
  }
}
