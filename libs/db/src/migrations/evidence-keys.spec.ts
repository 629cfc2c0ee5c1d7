import { generateKeyPairSync } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import { openDatabase } from '../database';
import * as evidenceKeys from './20261205T2100_evidence_keys';

describe('migration 20261205T2100_evidence_keys', () => {
  it('retires a private key held in the database, drops it and keeps its public key', async () => {
    const database = await openDatabase({ embeddedDataDir: 'memory://' });
    try {
      // The schema as it was: the key pair kept in signing_keys.
      await evidenceKeys.down(database.db as unknown as Kysely<unknown>);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await sql`insert into signing_keys (key_id, algorithm, public_key, private_key)
                values ('legacy0000000000', 'ed25519', ${publicPem}, ${privatePem})`.execute(database.db);

      await evidenceKeys.up(database.db as unknown as Kysely<unknown>);

      const columns = await sql<{ column_name: string }>`
        select column_name from information_schema.columns where table_name = 'signing_keys'`.execute(
        database.db,
      );
      expect(columns.rows.map((c) => c.column_name)).not.toContain('private_key');
      const rows = await sql<{ key_id: string; public_key: string; retired_at: Date | null }>`
        select key_id, public_key, retired_at from signing_keys`.execute(database.db);
      expect(rows.rows).toEqual([
        { key_id: 'legacy0000000000', public_key: publicPem, retired_at: expect.any(Date) },
      ]);
      // Nowhere in the table is the private key any more.
      const dump = await sql<{ row: string }>`select signing_keys::text as row from signing_keys`.execute(
        database.db,
      );
      const body = privatePem.split('\n')[1]!;
      expect(dump.rows.some((r) => r.row.includes(body))).toBe(false);
    } finally {
      await database.close();
    }
  });
});
