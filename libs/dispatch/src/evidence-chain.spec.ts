import { canonicalJson, extendChain, GENESIS_HASH, verifyChain, EvidenceItem } from './evidence-chain';

describe('evidence hash chain', () => {
  const at = new Date('2026-12-01T09:00:00Z');
  const fix = (minute: number, lat = -12.85) => ({
    kind: 'position' as const,
    ref: `position:356307042441013@2026-11-20T08:0${minute}:00.000Z`,
    content: { lat, lon: -69.55, fixTime: `2026-11-20T08:0${minute}:00.000Z`, rawSha256: `sha-${minute}` },
  });

  it('serialises canonically: sorted keys at every depth, dates as ISO', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: new Date(0) }, u: undefined })).toBe(
      '{"a":{"c":"1970-01-01T00:00:00.000Z","d":[2,{"x":0,"y":1}]},"b":1}',
    );
  });

  it('extends a chain link by link, and verifies while nothing changed', () => {
    const first = extendChain(undefined, [fix(3), fix(4)], at);
    expect(first[0]!.prevHash).toBe(GENESIS_HASH);
    expect(first[1]!.prevHash).toBe(first[0]!.hash);
    // A late fix from the device's buffer extends the same chain.
    const later = extendChain(first[1], [fix(5)], new Date('2026-12-02T00:00:00Z'));
    expect(later[0]!.seq).toBe(3);
    const links = [...first, ...later];
    const items = new Map<string, unknown>([fix(3), fix(4), fix(5)].map((i) => [i.ref, i.content]));
    const result = verifyChain(links, items);
    expect(result).toEqual({ valid: true, length: 3, head: later[0]!.hash, problems: [] });
  });

  it('detects a changed fix, a removed fix, an altered link and a removed link', () => {
    const items: EvidenceItem[] = [fix(3), fix(4), fix(5)];
    const links = extendChain(undefined, items, at);
    const stored = () => new Map<string, unknown>(items.map((i) => [i.ref, i.content]));

    const moved = stored();
    moved.set(fix(4).ref, fix(4, -12.8).content);
    expect(verifyChain(links, moved).problems).toEqual([
      { seq: 2, ref: fix(4).ref, problem: 'item_changed' },
    ]);

    const deleted = stored();
    deleted.delete(fix(3).ref);
    expect(verifyChain(links, deleted).problems.map((p) => p.problem)).toEqual(['item_missing']);

    const rewritten = links.map((l) => (l.seq === 2 ? { ...l, itemDigest: '0'.repeat(64) } : l));
    expect(verifyChain(rewritten, stored()).problems.map((p) => p.problem)).toEqual(
      expect.arrayContaining(['link_altered']),
    );

    const dropped = links.filter((l) => l.seq !== 2);
    const problems = verifyChain(dropped, stored()).problems.map((p) => p.problem);
    expect(problems).toEqual(expect.arrayContaining(['sequence_gap', 'chain_broken']));
  });
});
