import { Injectable } from '@nestjs/common';
import { Repositories, StoredFix, Store, ViolationRow, ViolationStepRow } from '@app/db';
import {
  ChainLink,
  ChainVerification,
  Evidence,
  EvidenceItem,
  EvidenceKind,
  EvidencePosition,
  SigningKey,
  extendChain,
  generateSigningKey,
  sha256Hex,
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
}): ChainLink {
  return {
    seq: Number(row.seq),
    kind: row.kind as EvidenceKind,
    ref: row.ref,
    itemDigest: row.item_digest,
    prevHash: row.prev_hash,
    sealedAt: new Date(row.sealed_at).toISOString(),
    hash: row.hash,
  };
}

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
export class EvidenceService {
  private key: SigningKey | undefined;

  constructor(private readonly store: Store) {}

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
    return verifyChain(links, current);
  }

  /** Everything about one violation, for officers and exports (the caller checked access). */
  async evidence(violation: ViolationRow): Promise<Evidence> {
    const repos = this.store.repos;
    const [parties, fixes, steps, chain] = await Promise.all([
      repos.violationCases.parties(violation.id),
      this.shownFixes(repos, violation),
      repos.violationCases.steps(violation.id),
      this.verify(violation.id, repos),
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
      chain: { length: chain.length, head: chain.head, valid: chain.valid },
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

  /** The system's export signing key, created on first use and kept in the database. */
  async signingKey(): Promise<SigningKey> {
    if (this.key) return this.key;
    let row = await this.store.repos.evidence.signingKey();
    if (!row) {
      const fresh = generateSigningKey();
      await this.store.transaction((repos) => repos.evidence.addSigningKey(fresh));
      row = await this.store.repos.evidence.signingKey();
    }
    if (!row) throw new Error('no signing key');
    this.key = { keyId: row.key_id, publicKeyPem: row.public_key, privateKeyPem: row.private_key };
    return this.key;
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
