import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace, dates as ISO strings, undefined members
 * left out. The same content always gives the same bytes, so its hash identifies it.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalise(value));
}

function canonicalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((item) => canonicalise(item === undefined ? null : item));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = canonicalise(member);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Digest of one piece of evidence (a stored fix with its raw payload's hash, a workflow step). */
export function itemDigest(content: unknown): string {
  return sha256Hex(canonicalJson(content));
}

export type EvidenceKind = 'violation' | 'position' | 'step';

/** A piece of evidence to seal: what it is, a stable reference, its content as stored now. */
export interface EvidenceItem {
  readonly kind: EvidenceKind;
  /** Stable reference, unique within a violation (e.g. `position:{imei}@{fix time}`, `step:{id}`). */
  readonly ref: string;
  readonly content: unknown;
}

export interface ChainLink {
  readonly seq: number;
  readonly kind: EvidenceKind;
  readonly ref: string;
  readonly itemDigest: string;
  readonly prevHash: string;
  readonly sealedAt: string;
  readonly hash: string;
}

/** The hash before the first link. */
export const GENESIS_HASH = '0'.repeat(64);

export function linkHash(link: Omit<ChainLink, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      seq: link.seq,
      kind: link.kind,
      ref: link.ref,
      itemDigest: link.itemDigest,
      prevHash: link.prevHash,
      sealedAt: link.sealedAt,
    }),
  );
}

/** Links extending a chain whose last link is `head` (none: a new chain) with `items`, in the given order. */
export function extendChain(
  head: Pick<ChainLink, 'seq' | 'hash'> | undefined,
  items: readonly EvidenceItem[],
  sealedAt: Date,
): ChainLink[] {
  const links: ChainLink[] = [];
  let seq = head ? head.seq : 0;
  let prevHash = head ? head.hash : GENESIS_HASH;
  for (const item of items) {
    seq += 1;
    const body = {
      seq,
      kind: item.kind,
      ref: item.ref,
      itemDigest: itemDigest(item.content),
      prevHash,
      sealedAt: sealedAt.toISOString(),
    };
    const link = { ...body, hash: linkHash(body) };
    links.push(link);
    prevHash = link.hash;
  }
  return links;
}

export interface ChainProblem {
  readonly seq: number;
  readonly ref: string;
  readonly problem: 'item_changed' | 'item_missing' | 'link_altered' | 'chain_broken' | 'sequence_gap';
}

export interface ChainVerification {
  readonly valid: boolean;
  readonly length: number;
  readonly head: string;
  readonly problems: ChainProblem[];
}

/**
 * Verifies a chain against the evidence as stored now (by ref): every link's own hash, its link to the one
 * before, the sequence, and that each item's current content still has the digest that was sealed.
 */
export function verifyChain(
  links: readonly ChainLink[],
  current: ReadonlyMap<string, unknown>,
): ChainVerification {
  const problems: ChainProblem[] = [];
  let prevHash = GENESIS_HASH;
  links.forEach((link, index) => {
    if (link.seq !== index + 1) problems.push({ seq: link.seq, ref: link.ref, problem: 'sequence_gap' });
    if (link.prevHash !== prevHash) problems.push({ seq: link.seq, ref: link.ref, problem: 'chain_broken' });
    if (linkHash(link) !== link.hash)
      problems.push({ seq: link.seq, ref: link.ref, problem: 'link_altered' });
    if (!current.has(link.ref)) problems.push({ seq: link.seq, ref: link.ref, problem: 'item_missing' });
    else if (itemDigest(current.get(link.ref)) !== link.itemDigest)
      problems.push({ seq: link.seq, ref: link.ref, problem: 'item_changed' });
    prevHash = link.hash;
  });
  return { valid: problems.length === 0, length: links.length, head: prevHash, problems };
}
