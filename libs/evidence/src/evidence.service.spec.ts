import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@app/config';
import type { Store } from '@app/db';
import { EvidenceService, MISSING_SIGNING_KEY } from './evidence.service';

describe(EvidenceService.name, () => {
  it('refuses to start without a signing key from outside the database (DATABASE_URL, no key given)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-evidence-'));
    try {
      const config = loadConfig({
        DATABASE_URL: 'postgres://localhost/centinela',
        JWT_SECRET: 'j'.repeat(32),
        DEVICE_SECRET_KEY: 'd'.repeat(32),
        DATA_DIR: dataDir,
      });
      const published: unknown[] = [];
      const store = {
        repos: { evidence: { publishSigningKey: async (key: unknown) => published.push(key) } },
      } as unknown as Store;
      const service = new EvidenceService(store, config);
      await expect(service.onModuleInit()).rejects.toThrow(MISSING_SIGNING_KEY);
      await expect(service.signingKey()).rejects.toThrow(/EVIDENCE_SIGNING_KEY_FILE/);
      expect(published).toEqual([]);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
