import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Repositories, SigningKeyRow, StoredFix, Store, ViolationRow, ViolationStepRow } from '@app/db';
import {
  Canonicalization,
  ChainLink,
  ChainVerification,
  Evidence,
  EvidenceItem,
  EvidenceKind,
  EvidencePosition,
  SigningKey,
  extendChain,
  sha256Hex,
  signingKeyFromPem,
  verifyChain,
} from '@app/dispatch';

/** What of a violation is sealed first: what identifies it and never changes after it was opened. */
function violationContent(v: ViolationRow) {
  return {
    id: v.id,
    machineId: v.machine_id,
    imei: v.imei,
    zoneId: v.zone_id,
    zoneName: v.zone_name,
    zoneKind: v.zone_kind,
    ruleId: v.rule_id,
    severity: v.severity,
    legalBasis: v.legal_basis,
    catalogueVersion: v.catalogue_version,
    episodeId: v.episode_id,
    confirmedAt: v.confirmed_at,
    confirmingFixes: v.confirming_fixes,
    createdAt: v.created_at,
  };
}

function payloadOf(fix: StoredFix): Buffer | null {
  return fix.payload ? Buffer.from(fix.payload) : null;
}

/** A stored fix as sealed: every field, and the hash of the raw message bytes as stored now. */
function fixContent(fix: StoredFix) {
  const payload = payloadOf(fix);
  return {
    imei: fix.imei,
    fixTime: new Date(fix.fix_time).toISOString(),
    receivedAt: new Date(fix.received_at).toISOString(),
    lat: fix.lat,
    lon: fix.lon,
    speedKmh: fix.speed_kmh,
    headingDeg: fix.heading_deg,
    hdop: fix.hdop,
    satellites: fix.satellites,
    ignition: fix.ignition,
    flags: fix.flags,
    trusted: fix.trusted,
    source: fix.source,
    messageId: fix.message_id,
    messageIndex: fix.message_index,
    rawSha256: payload ? sha256Hex(payload) : null,
  };
}

function stepContent(step: ViolationStepRow) {
  return {
    id: step.id,
    violationId: step.violation_id,
    step: step.step,
    at: step.at,
    actorId: step.actor_id,
    actorUsername: step.actor_username,
    agencyId: step.agency_id,
    notes: step.notes,
    reference: step.reference,
    resolution: step.resolution,
    escalationLevel: step.escalation_level,
  };
}

const positionRef = (fix: { imei: string; fix_time: Date }) =>
  `position:${fix.imei}@${new Date(fix.fix_time).toISOString()}`;
const stepRef = (step: { id: string }) => `step:${step.id}`;
const violationRef = (v: { id: string }) => `violation:${v.id}`;

function toLink(row: {
  seq: number;
  kind: string;
  ref: string;
  item_digest: string;
  prev_hash: string;
  hash: string;
  sealed_at: Date;
  canonicalization: string;
}): ChainLink {
  return {
    seq: Number(row.seq),
    kind: row.kind as EvidenceKind,
    ref: row.ref,
    itemDigest: row.item_digest,
    prevHash: row.prev_hash,
    sealedAt: new Date(row.sealed_at).toISOString(),
    canonicalization: row.canonicalization as Canonicalization,
    hash: row.hash,
  };
}

/** Why a registry API or dispatcher cannot start without a signing key from outside the database. */
export const MISSING_SIGNING_KEY =
  'no evidence signing key: set EVIDENCE_SIGNING_KEY (PEM) or EVIDENCE_SIGNING_KEY_FILE to an Ed25519 private key ' +
  '(e.g. `openssl genpkey -algorithm ed25519 -out evidence-signing-key.pem`); with DATABASE_URL the key is never ' +
  'generated nor kept in the database (docs/security.md, evidence keys)';

/**
 * The end of the window of fixes a violation's evidence covers: its close, or for an open one the moment of
 * asking (`last_seen_at` trails the fixes already stored).
 */
function windowEnd(v: ViolationRow, now: Date): Date {
  return v.closed_at ?? now;
}

const sealedFixTimes = (links: readonly { kind: string; ref: string }[]): Date[] =>
  links.filter((l) => l.kind === 'position').map((l) => new Date(l.ref.slice(l.ref.lastIndexOf('@') + 1)));

/**
 * The evidence of violations: seals what is stored (the violation, its fixes with their raw messages, including
 * late ones, and the officers' steps) as links of a hash chain, verifies the chain against what is stored now,
 * and assembles the evidence for exports. Sealing locks the violation, so concurrent sealers queue up.
 */
@Injectable()
export class EvidenceService implements OnModuleInit {
  /** The key that signs exports and anchors, from outside the database (libs/config). */
  private readonly key: SigningKey | undefined;
  private published: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = config.evidenceSigningKey ? signingKeyFromPem(config.evidenceSigningKey) : undefined;
  }

  /** Refuses to start without a signing key, and publishes its public key so exports and anchors verify. */
  async onModuleInit(): Promise<void> {
    if (!this.key) throw new Error(MISSING_SIGNING_KEY);
    await this.publishKey();
  }

  seal(violationId: string): Promise<number> {
    return this.store.transaction((repos) => this.sealIn(repos, violationId));
  }

  /** Appends what is not sealed yet, inside the caller's transaction; returns how many links were added. */
  async sealIn(repos: Repositories, violationId: string): Promise<number> {
    const violation = await repos.violationCases.lock(violationId);
    if (!violation) return 0;
    const rows = await repos.evidence.links(violationId);
    const sealed = new Set(rows.map((r) => r.ref));
    const last = rows[rows.length - 1];
    const items: EvidenceItem[] = [];
    if (!sealed.has(violationRef(violation)))
      items.push({ kind: 'violation', ref: violationRef(violation), content: violationContent(violation) });
    const fixes = await repos.evidence.fixesBetween(
      violation.imei,
      violation.started_at,
      windowEnd(violation, new Date()),
    );
    for (const fix of fixes)
      if (!sealed.has(positionRef(fix)))
        items.push({ kind: 'position', ref: positionRef(fix), content: fixContent(fix) });
    for (const step of await repos.violationCases.steps(violationId))
      if (!sealed.has(stepRef(step)))
        items.push({ kind: 'step', ref: stepRef(step), content: stepContent(step) });
    if (items.length === 0) return 0;
    const links = extendChain(last ? toLink(last) : undefined, items, new Date());
    await repos.evidence.append(links.map((l) => ({ ...l, violationId, sealedAt: new Date(l.sealedAt) })));
    return links.length;
  }

  /** Checks the chain against the violation, fixes and steps as they are stored now. */
  async verify(violationId: string, repos: Repositories = this.store.repos): Promise<ChainVerification> {
    return (await this.verified(violationId, repos)).verification;
  }

  private async verified(
    violationId: string,
    repos: Repositories,
  ): Promise<{ verification: ChainVerification; links: ChainLink[] }> {
    const links = (await repos.evidence.links(violationId)).map(toLink);
    const violation = await repos.violationCases.findById(violationId);
    const current = new Map<string, unknown>();
    if (violation) {
      current.set(violationRef(violation), violationContent(violation));
      for (const fix of await repos.evidence.fixesAt(violation.imei, sealedFixTimes(links)))
        current.set(positionRef(fix), fixContent(fix));
      for (const step of await repos.violationCases.steps(violationId))
        current.set(stepRef(step), stepContent(step));
    }
    return { verification: verifyChain(links, current), links };
  }

  /** Everything about one violation, for officers and exports (the caller checked access). */
  async evidence(violation: ViolationRow): Promise<Evidence> {
    const repos = this.store.repos;
    const [parties, fixes, steps, { verification: chain, links }] = await Promise.all([
      repos.violationCases.parties(violation.id),
      this.shownFixes(repos, violation),
      repos.violationCases.steps(violation.id),
      this.verified(violation.id, repos),
    ]);
    return {
      violation: {
        id: violation.id,
        ruleId: violation.rule_id,
        severity: violation.severity,
        status: violation.status,
        workflowStatus: violation.workflow_status,
        description: violation.description,
        department: violation.department ?? parties?.machineDepartment ?? null,
        startedAt: violation.started_at.toISOString(),
        confirmedAt: violation.confirmed_at.toISOString(),
        lastSeenAt: violation.last_seen_at.toISOString(),
        closedAt: violation.closed_at ? violation.closed_at.toISOString() : null,
      },
      machine: {
        id: violation.machine_id,
        registryNumber: parties?.registryNumber ?? '',
        category: parties?.category ?? '',
        make: parties?.make ?? '',
        model: parties?.model ?? '',
        serialNumber: parties?.serialNumber ?? '',
        department: parties?.machineDepartment ?? '',
      },
      owner: {
        id: parties?.ownerId ?? '',
        name: parties?.ownerName ?? '',
        documentType: parties?.ownerDocumentType ?? '',
        documentNumber: parties?.ownerDocumentNumber ?? '',
      },
      tracker: { imei: violation.imei, model: parties?.trackerModel ?? null },
      zone: {
        id: violation.zone_id,
        name: violation.zone_name,
        kind: violation.zone_kind,
        legalBasis: violation.legal_basis,
        catalogueVersion: violation.catalogue_version,
      },
      positions: fixes.map(evidencePosition),
      steps: steps.map((s) => ({
        id: s.id,
        step: s.step,
        at: new Date(s.at).toISOString(),
        actor: s.actor_username,
        notes: s.notes,
        reference: s.reference,
        resolution: s.resolution,
      })),
      chain: { length: chain.length, head: chain.head, valid: chain.valid, links },
    };
  }

  /**
   * The fixes evidence shows: those of the window up to now, and any already sealed outside it (an open violation
   * sealed fixes after the one that later closed it), so what is shown is what is sealed.
   */
  private async shownFixes(repos: Repositories, violation: ViolationRow): Promise<StoredFix[]> {
    const [inWindow, links] = await Promise.all([
      repos.evidence.fixesBetween(violation.imei, violation.started_at, windowEnd(violation, new Date())),
      repos.evidence.links(violation.id),
    ]);
    const shown = new Set(inWindow.map(positionRef));
    const outside = sealedFixTimes(links).filter(
      (time) => !shown.has(positionRef({ imei: violation.imei, fix_time: time })),
    );
    if (outside.length === 0) return inWindow;
    const extra = await repos.evidence.fixesAt(violation.imei, outside);
    return [...inWindow, ...extra].sort(
      (a, b) => new Date(a.fix_time).getTime() - new Date(b.fix_time).getTime(),
    );
  }

  /** The key that signs exports and anchors now; its public key is published in the database. */
  async signingKey(): Promise<SigningKey> {
    if (!this.key) throw new Error(MISSING_SIGNING_KEY);
    await this.publishKey();
    return this.key;
  }

  private publishKey(): Promise<void> {
    const key = this.key!;
    this.published ??= this.store.repos.evidence.publishSigningKey(key).catch((error: unknown) => {
      this.published = undefined;
      throw error;
    });
    return this.published;
  }

  /** Every public key that signed exports or anchors (retired ones included), the current one first. */
  async publicKeys(): Promise<{ current: string | undefined; keys: SigningKeyRow[] }> {
    if (this.key) await this.publishKey();
    const keys = await this.store.repos.evidence.signingKeys();
    const current = this.key?.keyId;
    return {
      current,
      keys: [...keys].sort((a, b) => Number(b.key_id === current) - Number(a.key_id === current)),
    };
  }

  /** The links of a violation's chain, as exports carry them for checking against an anchor. */
  async links(violationId: string): Promise<ChainLink[]> {
    return (await this.store.repos.evidence.links(violationId)).map(toLink);
  }
}

function evidencePosition(fix: StoredFix): EvidencePosition {
  const payload = payloadOf(fix);
  const utf8 = payload ? payload.toString('utf8') : null;
  const isText =
    payload !== null &&
    Buffer.from(utf8 ?? '', 'utf8').equals(payload) &&
    !payload.some((byte) => byte < 0x09);
  return {
    fixTime: new Date(fix.fix_time).toISOString(),
    receivedAt: new Date(fix.received_at).toISOString(),
    lat: fix.lat,
    lon: fix.lon,
    speedKmh: fix.speed_kmh,
    headingDeg: fix.heading_deg,
    hdop: fix.hdop,
    satellites: fix.satellites,
    ignition: fix.ignition,
    flags: fix.flags,
    trusted: fix.trusted,
    source: fix.source,
    messageId: fix.message_id,
    rawTopic: fix.topic,
    rawPayload: payload ? (isText ? utf8 : payload.toString('base64')) : null,
    rawEncoding: isText ? 'utf8' : 'base64',
    rawSha256: payload ? sha256Hex(payload) : null,
  };
}
