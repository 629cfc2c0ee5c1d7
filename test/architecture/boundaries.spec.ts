import { ESLint } from 'eslint';
import { join } from 'node:path';

const root = join(__dirname, '../..');

/** The import rules' messages for `code` linted as if it were the file at `filePath` (relative to the root). */
async function importProblems(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId?.startsWith('import-x/'))
    .map((message) => `${message.ruleId}: ${message.message}`);
}

describe('import boundaries (ESLint)', () => {
  it('refuses an app importing another app', async () => {
    const problems = await importProblems(
      "import { ZonesModule } from '../../registry-api/src/zones/zones.module';\nexport const zones = ZonesModule;\n",
      'apps/ingest/src/zones-probe.ts',
    );
    expect(problems).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*only apps\/centinela composes apps/),
    ]);
  });

  it('refuses a library importing an app', async () => {
    const problems = await importProblems(
      "import { IngestModule } from '../../../apps/ingest/src/ingest.module';\nexport const ingest = IngestModule;\n",
      'libs/zones/src/ingest-probe.ts',
    );
    expect(problems).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*libraries never import apps/),
    ]);
  });

  it('refuses an import cycle between files', async () => {
    // main.ts imports ingest.module.ts: ingest.module.ts importing main.ts closes a cycle.
    const problems = await importProblems(
      "import './main';\nexport class IngestModule {}\n",
      'apps/ingest/src/ingest.module.ts',
    );
    expect(problems).toEqual([expect.stringMatching(/^import-x\/no-cycle: /)]);
  });

  it('accepts an app importing libraries, and the main job composing apps', async () => {
    expect(
      await importProblems(
        "import { ZoneCatalogueModule } from '@app/zones';\nimport { Roles } from '@app/platform';\nexport const used = [ZoneCatalogueModule, Roles];\n",
        'apps/ingest/src/zones-probe.ts',
      ),
    ).toEqual([]);
    expect(
      await importProblems(
        "import { IngestModule } from '../../ingest/src/ingest.module';\nexport const ingest = IngestModule;\n",
        'apps/centinela/src/ingest-probe.ts',
      ),
    ).toEqual([]);
  });
});
