import { Kysely, Migration, MigrationProvider, Migrator } from 'kysely';
import { migrations } from './migrations';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any schema type applies
type AnySchema = Kysely<any>;

class InCodeMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/**
 * Applies pending migrations. Kysely's Postgres adapter holds a transaction-scoped advisory lock while it
 * migrates, so several processes starting at once apply each migration exactly once.
 */
export async function migrateToLatest(db: AnySchema): Promise<string[]> {
  const { error, results } = await new Migrator({
    db,
    provider: new InCodeMigrationProvider(),
  }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrateDown(db: AnySchema): Promise<void> {
  const { error } = await new Migrator({ db, provider: new InCodeMigrationProvider() }).migrateDown();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
