import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * How a link's JSON was made canonical before hashing. `rfc8785`: the JSON Canonicalization Scheme (RFC 8785),
 * every link sealed since it was adopted; `centinela-1`: the product's own scheme before it (keys sorted at every
 * depth, then `JSON.stringify`), kept to verify the links sealed with it. Each link records its own.
 */
export type Canonicalization = 'rfc8785' | 'centinela-1';
export const CANONICALIZATION: Canonicalization = 'rfc8785';

/**
 * Plain JSON values of what is sealed: dates as ISO strings, binary as base64, big integers as strings,
 * non-finite numbers (which JSON cannot carry) as null, undefined members left out.
 */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((item) => plain(item === undefined ? null : item));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = plain(member);
    }
    return out;
  }
  return value;
}

/** Canonical JSON per RFC 8785 (JCS) of `value` made plain: the same content always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return canonicalize(plain(value)) ?? 'null';
}

/** The product's canonical JSON before RFC 8785 (`centinela-1`), only to verify links sealed with it. */
export function legacyCanonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(plain(value)));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function canonicalWith(canonicalization: Canonicalization, value: unknown): string {
  return canonicalization === 'rfc8785' ? canonicalJson(value) : legacyCanonicalJson(value);
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Digest of one piece of evidence (a stored fix with its raw payload's hash, a workflow step). */
export function itemDigest(content: unknown, canonicalization: Canonicalization = CANONICALIZATION): string {
  return sha256Hex(canonicalWith(canonicalization, content));
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
  /** How this link and its item were made canonical before hashing. */
  readonly canonicalization: Canonicalization;
  readonly hash: string;
}

/** The hash before the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * A link's hash. Since RFC 8785 the canonicalization is part of what is hashed, so a link cannot be passed off
 * as made with the other scheme; `centinela-1` links hash the fields they always had.
 */
export function linkHash(link: Omit<ChainLink, 'hash'>): string {
  const fields = {
    seq: link.seq,
    kind: link.kind,
    ref: link.ref,
    itemDigest: link.itemDigest,
    prevHash: link.prevHash,
    sealedAt: link.sealedAt,
  };
  return link.canonicalization === 'rfc8785'
    ? sha256Hex(canonicalJson({ ...fields, canonicalization: link.canonicalization }))
    : sha256Hex(legacyCanonicalJson(fields));
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
      itemDigest: itemDigest(item.content, CANONICALIZATION),
      prevHash,
      sealedAt: sealedAt.toISOString(),
      canonicalization: CANONICALIZATION,
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
 * before, the sequence, and that each item's current content still has the digest that was sealed (each link
 * with its own canonicalization).
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
    else if (itemDigest(current.get(link.ref), link.canonicalization) !== link.itemDigest)
      problems.push({ seq: link.seq, ref: link.ref, problem: 'item_changed' });
    prevHash = link.hash;
  });
  return { valid: problems.length === 0, length: links.length, head: prevHash, problems };
}
