import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import {
  ChainLink,
  GENESIS_HASH,
  SignedAnchor,
  anchorsChained,
  checkChainAgainstAnchor,
  linkHash,
  sha256Hex,
  signingKeyFromPem,
  verifyAnchor,
  verifyExport,
} from '@app/dispatch';
import { TEST_EVIDENCE_KEY, TestApi, startTestApi } from '../support/api';
import { persistentTestDatabase, storageModes } from '../support/storage';
import {
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  enrolMachine,
  eventually,
  exportOf,
  openViolation,
  startDispatcher,
} from './support';

interface PublishedKey {
  keyId: string;
  publicKey: string;
  current: boolean;
  retiredAt: string | null;
}

const newKey = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe.each(storageModes())('evidence keys and anchors (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode, FAST_DISPATCH);
  });
  afterAll(() => api.close());

  it('keeps no private key in the database; the signing key is published by its RFC 7638 thumbprint', async () => {
    const key = signingKeyFromPem(TEST_EVIDENCE_KEY);
    const published = (await api.get('/v1/evidence/signing-keys')).body as PublishedKey[];
    expect(published).toEqual([
      expect.objectContaining({
        keyId: key.keyId,
        publicKey: key.publicKeyPem,
        current: true,
        retiredAt: null,
      }),
    ]);
    expect((await api.get('/v1/evidence/signing-key')).body).toMatchObject({ keyId: key.keyId });
    const privateColumns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and column_name like '%private%'`.execute(api.database.db);
    expect(privateColumns.rows).toEqual([]);
    const keyBody = TEST_EVIDENCE_KEY.split('\n')[1]!;
    const stored = await sql<{ row: string }>`select signing_keys::text as row from signing_keys`.execute(
      api.database.db,
    );
    expect(stored.rows.length).toBe(1);
    expect(stored.rows.some((r) => r.row.includes(keyBody))).toBe(false);
  });

  it('publishes the chains’ heads to every agency as a signed evidence.anchor that an export is checked against', async () => {
    const receiver = await new Receiver().start();
    // An agency of another department: it gets no alert of this violation, but every anchor.
    const agency = await agencyWithWebhook(api, receiver, { departments: ['CUSCO'] });
    const dispatcher = await startDispatcher(api);
    try {
      const machine = await enrolMachine(api, 'MADRE DE DIOS');
      const violation = await openViolation(api, machine);
      const linksOf = () =>
        api.database.db
          .selectFrom('evidence_links')
          .selectAll()
          .where('violation_id', '=', violation.id)
          .orderBy('seq')
          .execute();
      await eventually(async () => (await linksOf()).length > 0, 'the violation sealed');

      const made = await dispatcher.worker.anchorEvidence({ force: true });
      expect(made).toBeDefined();
      const anchorEvents = () => receiver.events().filter((e) => e.type === 'evidence.anchor');
      await eventually(() => anchorEvents().length === 1, 'the anchor delivered');
      expect(receiver.verifiedIds(agency.secret).size).toBe(1);
      const first = anchorEvents()[0]!.data as unknown as SignedAnchor;
      expect(first).toEqual(JSON.parse(JSON.stringify(made)));
      expect(first.anchor).toMatchObject({ seq: 1, previous: GENESIS_HASH, canonicalization: 'rfc8785' });
      expect(first.anchor.heads).toContainEqual({
        violationId: violation.id,
        length: expect.any(Number),
        head: expect.stringMatching(/^[0-9a-f]{64}$/),
      });

      // The agency verifies the anchor with the published key its key id names…
      const keys = (await api.get('/v1/evidence/signing-keys')).body as PublishedKey[];
      const publicKey = keys.find((k) => k.keyId === first.keyId)!.publicKey;
      expect(verifyAnchor(first, publicKey)).toBe(true);
      // …and checks a later export's chain against it (links sealed since may follow).
      const geojson = JSON.parse((await exportOf(api, violation.id, 'geojson')).body.toString('utf8'));
      const exported = geojson.features[0].properties.chain.links as ChainLink[];
      expect(checkChainAgainstAnchor(violation.id, exported, first.anchor)).toMatchObject({ valid: true });

      // Nothing moved: no anchor. A new step moves the head: the next anchor names it and chains to the first.
      expect(await dispatcher.worker.anchorEvidence({ force: true })).toBeUndefined();
      expect((await api.post(`/v1/violations/${violation.id}/acknowledge`, {})).status).toBe(200);
      await eventually(async () => {
        const links = await linksOf();
        return links[links.length - 1]?.ref.startsWith('step:');
      }, 'the step sealed');
      const second = await dispatcher.worker.anchorEvidence({ force: true });
      expect(second?.anchor).toMatchObject({ seq: 2, previous: first.hash });
      await eventually(() => anchorEvents().length === 2, 'the second anchor delivered');
      expect(anchorsChained(anchorEvents().map((e) => e.data as unknown as SignedAnchor))).toBe(true);
      expect((await api.get('/v1/evidence/anchors?after=1')).body).toEqual([
        JSON.parse(JSON.stringify(second)),
      ]);

      // Whoever controls the database rewrites the chain and re-hashes every link: the anchor the agency holds
      // shows it.
      let prevHash = GENESIS_HASH;
      for (const row of await linksOf()) {
        const link: Omit<ChainLink, 'hash'> = {
          seq: Number(row.seq),
          kind: row.kind as ChainLink['kind'],
          ref: row.ref,
          itemDigest: row.seq === 1 ? sha256Hex('forged') : row.item_digest,
          prevHash,
          sealedAt: new Date(row.sealed_at).toISOString(),
          canonicalization: row.canonicalization as ChainLink['canonicalization'],
        };
        const hash = linkHash(link);
        await api.database.db
          .updateTable('evidence_links')
          .set({ item_digest: link.itemDigest, prev_hash: prevHash, hash })
          .where('violation_id', '=', violation.id)
          .where('seq', '=', link.seq)
          .execute();
        prevHash = hash;
      }
      const rewritten = JSON.parse((await exportOf(api, violation.id, 'geojson')).body.toString('utf8'));
      const rewrittenLinks = rewritten.features[0].properties.chain.links as ChainLink[];
      expect(checkChainAgainstAnchor(violation.id, rewrittenLinks, first.anchor)).toMatchObject({
        valid: false,
        problem: 'head_differs',
      });
    } finally {
      await dispatcher.close();
      await receiver.stop();
    }
  });

  it('signs with the new key after a rotation; exports signed with the old key still verify', async () => {
    const persistent = await persistentTestDatabase(mode);
    const oldKey = newKey();
    const rotatedKey = newKey();
    let first: TestApi | undefined;
    let second: TestApi | undefined;
    try {
      first = await startTestApi(
        mode,
        { ...FAST_DISPATCH, EVIDENCE_SIGNING_KEY: oldKey },
        [],
        await persistent.open(),
      );
      const machine = await enrolMachine(first, 'MADRE DE DIOS');
      const violation = await openViolation(first, machine);
      const before = await exportOf(first, violation.id, 'csv');
      expect(before.signature.keyId).toBe(signingKeyFromPem(oldKey).keyId);
      await first.close();
      first = undefined;

      second = await startTestApi(
        mode,
        { ...FAST_DISPATCH, EVIDENCE_SIGNING_KEY: rotatedKey },
        [],
        await persistent.open(),
      );
      const after = await exportOf(second, violation.id, 'csv');
      expect(after.signature.keyId).toBe(signingKeyFromPem(rotatedKey).keyId);
      const keys = (await second.get('/v1/evidence/signing-keys')).body as PublishedKey[];
      expect(keys.map((k) => [k.keyId, k.current])).toEqual([
        [signingKeyFromPem(rotatedKey).keyId, true],
        [signingKeyFromPem(oldKey).keyId, false],
      ]);
      const publicKeyOf = (keyId: string) => keys.find((k) => k.keyId === keyId)!.publicKey;
      expect(verifyExport(before.body, before.signature, publicKeyOf(before.signature.keyId))).toBe(true);
      expect(verifyExport(after.body, after.signature, publicKeyOf(after.signature.keyId))).toBe(true);
    } finally {
      await first?.close();
      await second?.close();
      await persistent.dispose();
    }
  });
});
