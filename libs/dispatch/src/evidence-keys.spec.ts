import { createPublicKey, createHash } from 'node:crypto';
import {
  ChainLink,
  GENESIS_HASH,
  canonicalJson,
  extendChain,
  itemDigest,
  legacyCanonicalJson,
  linkHash,
  sha256Hex,
  verifyChain,
} from './evidence-chain';
import {
  EvidenceAnchor,
  FIRST_ANCHOR_PREVIOUS,
  anchorHash,
  anchorsChained,
  checkChainAgainstAnchor,
  signAnchor,
  verifyAnchor,
} from './evidence-anchor';
import {
  generateSigningKey,
  keyThumbprint,
  signExport,
  signingKeyFromPem,
  verifyExport,
} from './evidence-export';

describe('RFC 8785 canonical JSON', () => {
  it('serialises the RFC’s own sample (section 3.2.2)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (section 3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // Object.keys would put "1" first (an integer-like key): read the order off the text.
    const text = canonicalJson(input);
    const order = ['Carriage Return', 'One', 'Control', 'Diaeresis', 'Euro Sign', 'Grinning Face', 'Dagesh'];
    const positions = order.map((value) => text.indexOf(value));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  it.each([
    [0, '0'],
    [-0, '0'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [-1.5, '-1.5'],
  ])('serialises the number %p as %s (appendix B)', (value, text) => {
    expect(canonicalJson([value])).toBe(`[${text}]`);
  });

  it('makes stored values plain first: dates as ISO, binary as base64, no undefined members', () => {
    expect(canonicalJson({ b: Buffer.from('hi'), a: new Date(0), u: undefined, n: Number.NaN })).toBe(
      '{"a":"1970-01-01T00:00:00.000Z","b":"aGk=","n":null}',
    );
  });
});

describe('evidence chains across canonicalizations', () => {
  const at = new Date('2026-12-01T09:00:00Z');
  const item = (minute: number) => ({
    kind: 'position' as const,
    ref: `position:356307042441013@2026-11-20T08:0${minute}:00.000Z`,
    content: { lat: -12.85, lon: -69.55, fixTime: `2026-11-20T08:0${minute}:00.000Z`, note: 'río ñ €' },
  });

  /** A link as the product sealed it before RFC 8785: its own canonical JSON, no canonicalization field hashed. */
  function legacyLink(seq: number, content: unknown, ref: string, prevHash: string): ChainLink {
    const fields = {
      seq,
      kind: 'position' as const,
      ref,
      itemDigest: sha256Hex(legacyCanonicalJson(content)),
      prevHash,
      sealedAt: at.toISOString(),
    };
    return { ...fields, canonicalization: 'centinela-1', hash: sha256Hex(legacyCanonicalJson(fields)) };
  }

  it('still verifies links sealed before RFC 8785, and a chain extended after it', () => {
    const first = legacyLink(1, item(1).content, item(1).ref, GENESIS_HASH);
    const second = legacyLink(2, item(2).content, item(2).ref, first.hash);
    const extended = extendChain(second, [item(3)], new Date('2026-12-06T00:00:00Z'));
    expect(extended[0]!.canonicalization).toBe('rfc8785');
    const links = [first, second, ...extended];
    const stored = new Map<string, unknown>([item(1), item(2), item(3)].map((i) => [i.ref, i.content]));
    expect(verifyChain(links, stored)).toEqual({
      valid: true,
      length: 3,
      head: extended[0]!.hash,
      problems: [],
    });
    // The canonicalization is part of an RFC 8785 link's hash: relabelling a link is an alteration.
    const relabelled = links.map((l) =>
      l.seq === 3 ? { ...l, canonicalization: 'centinela-1' as const } : l,
    );
    expect(verifyChain(relabelled, stored).problems.map((p) => p.problem)).toContain('link_altered');
    expect(itemDigest(item(3).content)).toBe(sha256Hex(canonicalJson(item(3).content)));
    expect(linkHash(extended[0]!)).toBe(extended[0]!.hash);
  });
});

describe('evidence signing keys', () => {
  it('names a key by its RFC 7638 thumbprint (the RFC 8037 example key)', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    const pem = createPublicKey({ key: jwk, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    expect(keyThumbprint(pem)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('derives the public key and key id from the private key; an export signed before a rotation still verifies', () => {
    const old = generateSigningKey();
    const same = signingKeyFromPem(old.privateKeyPem);
    expect(same).toEqual(old);
    const body = 'fix_time,lat,lon\r\n';
    const before = signExport(body, old, new Date('2026-12-01T00:00:00Z'));
    const rotated = generateSigningKey();
    expect(rotated.keyId).not.toBe(old.keyId);
    const after = signExport(body, rotated, new Date('2026-12-02T00:00:00Z'));
    expect(after.keyId).toBe(rotated.keyId);
    // Each signature verifies with the public key its key id names, not with the other one.
    expect(verifyExport(body, before, old.publicKeyPem)).toBe(true);
    expect(verifyExport(body, after, rotated.publicKeyPem)).toBe(true);
    expect(verifyExport(body, before, rotated.publicKeyPem)).toBe(false);
  });
});

describe('evidence anchors', () => {
  const key = generateSigningKey();
  const items = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ kind: 'step' as const, ref: `step:${i}`, content: { i } }));
  const violationId = '0b8e0000-0000-4000-8000-000000000001';
  const chain = extendChain(undefined, items(3), new Date('2026-12-01T00:00:00Z'));
  const anchor = (seq: number, previous: string, links: readonly ChainLink[]): EvidenceAnchor => ({
    seq,
    anchoredAt: '2026-12-01T01:00:00.000Z',
    previous,
    chains: 1,
    heads: [{ violationId, length: links.length, head: links[links.length - 1]!.hash }],
    more: false,
    canonicalization: 'rfc8785',
  });

  it('is signed over its canonical JSON and chained to the previous one', () => {
    const first = signAnchor(anchor(1, FIRST_ANCHOR_PREVIOUS, chain), key);
    expect(first.hash).toBe(anchorHash(first.anchor));
    expect(first.hash).toBe(createHash('sha256').update(canonicalJson(first.anchor)).digest('hex'));
    expect(verifyAnchor(first, key.publicKeyPem)).toBe(true);
    expect(verifyAnchor(first, generateSigningKey().publicKeyPem)).toBe(false);
    expect(verifyAnchor({ ...first, anchor: { ...first.anchor, chains: 2 } }, key.publicKeyPem)).toBe(false);
    const longer = [...chain, ...extendChain(chain[2], items(1), new Date('2026-12-02T00:00:00Z'))];
    const second = signAnchor(anchor(2, first.hash, longer), key);
    expect(anchorsChained([second, first])).toBe(true);
    expect(anchorsChained([first, signAnchor(anchor(2, '1'.repeat(64), longer), key)])).toBe(false);
  });

  it('tells an exported chain that extends the anchored one from a rewritten one', () => {
    const anchored = anchor(1, FIRST_ANCHOR_PREVIOUS, chain);
    expect(checkChainAgainstAnchor(violationId, chain, anchored)).toEqual({
      valid: true,
      length: 3,
      head: chain[2]!.hash,
    });
    // Sealed after the anchor: still the same history.
    const extended = [...chain, ...extendChain(chain[2], items(1), new Date('2026-12-03T00:00:00Z'))];
    expect(checkChainAgainstAnchor(violationId, extended, anchored).valid).toBe(true);
    // Rewritten and re-hashed from the second link on (whoever controls the database can): the head differs.
    const rewritten = [
      chain[0]!,
      ...extendChain(
        chain[0],
        [{ kind: 'step' as const, ref: 'step:1', content: { i: 99 } }, items(3)[2]!],
        new Date(),
      ),
    ];
    expect(checkChainAgainstAnchor(violationId, rewritten, anchored)).toMatchObject({
      valid: false,
      problem: 'head_differs',
    });
    // A link edited in place without re-hashing.
    const edited = chain.map((l) => (l.seq === 2 ? { ...l, itemDigest: '0'.repeat(64) } : l));
    expect(checkChainAgainstAnchor(violationId, edited, anchored)).toMatchObject({
      valid: false,
      problem: 'link_altered',
      seq: 2,
    });
    expect(checkChainAgainstAnchor(violationId, chain.slice(0, 2), anchored)).toMatchObject({
      problem: 'chain_shorter',
    });
    expect(checkChainAgainstAnchor('other', chain, anchored)).toMatchObject({ problem: 'not_anchored' });
  });
});
