import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { ChainLink, GENESIS_HASH, canonicalJson, linkHash, sha256Hex } from './evidence-chain';
import type { SigningKey } from './evidence-export';

/** Where one violation's evidence chain stood when it was anchored. */
export interface AnchoredHead {
  readonly violationId: string;
  /** The chain's length (the seq of its last link). */
  readonly length: number;
  /** The hash of its last link. */
  readonly head: string;
}

/**
 * A statement of the heads of the evidence chains, published to every agency (`evidence.anchor`): the chains whose
 * head moved since the previous anchor, and the hash of that previous anchor, so anchors form a chain of their own
 * and an agency that kept them can tell a chain rewritten after it was anchored.
 */
export interface EvidenceAnchor {
  readonly seq: number;
  readonly anchoredAt: string;
  /** Hash of the previous anchor; 64 zeros for the first. */
  readonly previous: string;
  /** How many violations had an evidence chain when this anchor was made. */
  readonly chains: number;
  /** The heads that moved since the previous anchor, ordered by violation id. */
  readonly heads: readonly AnchoredHead[];
  /** More heads had moved than one anchor carries: the next anchor follows at once with the rest. */
  readonly more: boolean;
  readonly canonicalization: 'rfc8785';
}

/** The most heads one anchor carries (about 150 bytes each), so that no event grows without bound. */
export const ANCHOR_MAX_HEADS = 5000;

/** An anchor with its hash and the system's Ed25519 signature over its RFC 8785 canonical JSON. */
export interface SignedAnchor {
  readonly anchor: EvidenceAnchor;
  /** hex SHA-256 of the anchor's canonical JSON. */
  readonly hash: string;
  readonly keyId: string;
  /** base64 Ed25519 signature of the anchor's canonical JSON (UTF-8). */
  readonly signature: string;
}

export const FIRST_ANCHOR_PREVIOUS = GENESIS_HASH;

/** The type of the CloudEvent that carries a signed anchor to the agencies. */
export const EVIDENCE_ANCHOR_EVENT = 'evidence.anchor';

export function anchorHash(anchor: EvidenceAnchor): string {
  return sha256Hex(canonicalJson(anchor));
}

export function signAnchor(anchor: EvidenceAnchor, key: SigningKey): SignedAnchor {
  const text = Buffer.from(canonicalJson(anchor), 'utf8');
  return {
    anchor,
    hash: anchorHash(anchor),
    keyId: key.keyId,
    signature: sign(null, text, createPrivateKey(key.privateKeyPem)).toString('base64'),
  };
}

/** Whether the anchor is what the key signed, and its hash is its own. */
export function verifyAnchor(signed: SignedAnchor, publicKeyPem: string): boolean {
  const text = Buffer.from(canonicalJson(signed.anchor), 'utf8');
  if (sha256Hex(text) !== signed.hash) return false;
  return verify(null, text, createPublicKey(publicKeyPem), Buffer.from(signed.signature, 'base64'));
}

/** Whether `anchors` (as an agency received them, in any order) form one unbroken chain. */
export function anchorsChained(anchors: readonly SignedAnchor[]): boolean {
  const ordered = [...anchors].sort((a, b) => a.anchor.seq - b.anchor.seq);
  return ordered.every((signed, index) => {
    if (anchorHash(signed.anchor) !== signed.hash) return false;
    if (index === 0) return signed.anchor.seq !== 1 || signed.anchor.previous === FIRST_ANCHOR_PREVIOUS;
    const before = ordered[index - 1]!;
    return signed.anchor.seq === before.anchor.seq + 1 && signed.anchor.previous === before.hash;
  });
}

export type AnchorCheck =
  | { readonly valid: true; readonly length: number; readonly head: string }
  | {
      readonly valid: false;
      readonly problem: 'not_anchored' | 'chain_shorter' | 'link_altered' | 'chain_broken' | 'head_differs';
      readonly seq?: number;
    };

/**
 * Checks the links of an exported evidence chain against an anchor an agency received: the chain must be
 * unbroken from its first link (each link's hash recomputed, each one pointing at the one before) up to the
 * anchored length, and its link there must have the anchored head. Links sealed after the anchor may follow.
 */
export function checkChainAgainstAnchor(
  violationId: string,
  links: readonly ChainLink[],
  anchor: EvidenceAnchor,
): AnchorCheck {
  const anchored = anchor.heads.find((h) => h.violationId === violationId);
  if (!anchored) return { valid: false, problem: 'not_anchored' };
  const ordered = [...links].sort((a, b) => a.seq - b.seq);
  if (ordered.length < anchored.length) return { valid: false, problem: 'chain_shorter' };
  let prevHash = GENESIS_HASH;
  for (const [index, link] of ordered.slice(0, anchored.length).entries()) {
    if (link.seq !== index + 1) return { valid: false, problem: 'chain_broken', seq: link.seq };
    if (link.prevHash !== prevHash) return { valid: false, problem: 'chain_broken', seq: link.seq };
    if (linkHash(link) !== link.hash) return { valid: false, problem: 'link_altered', seq: link.seq };
    prevHash = link.hash;
  }
  if (prevHash !== anchored.head) return { valid: false, problem: 'head_differs', seq: anchored.length };
  return { valid: true, length: anchored.length, head: anchored.head };
}
