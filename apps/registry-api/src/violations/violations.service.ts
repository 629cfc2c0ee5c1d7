import { ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Repositories, Store, ViolationRow, ViolationScope, setStatementTimeout, sqlStateOf } from '@app/db';
import { vertexCount, WorkerTimeoutError } from '@app/geofence';
import {
  agencyMaySee,
  boundingBox,
  isAreaGeometry,
  RoutableAlert,
  trackLine,
  toSubscription,
} from '@app/dispatch';
import { documentFor, normaliseDepartment } from '@app/registry';
import { EvidenceService, alertContexts, violationView } from '@app/evidence';
import {
  AuthenticatedUser,
  actorOf,
  conflict,
  notFound,
  unprocessable,
  validationFailed,
  pageWindow,
  toPage,
} from '@app/platform';
import { ZoneCatalogueService } from '@app/zones';
import { proposalView, ZonesService } from '../zones/zones.service';
import { NeedToKnow } from '../common/need-to-know';
import { AreaQueryDto, ViolationQueryDto } from './violations.dto';
import { fixesInsidePolygon } from './area-filter';

type Step = 'acknowledged' | 'dispatched' | 'resolved';

/** Which workflow status each step may follow. */
const FROM: Record<Step, readonly string[]> = {
  acknowledged: ['new'],
  dispatched: ['acknowledged'],
  resolved: ['acknowledged', 'dispatched'],
};

const AREA_FIX_LIMIT = 200_000;
/** Fixes read in one statement of an area query. */
const AREA_FIX_PAGE = 10_000;
const FALSE_POSITIVE = 'false_positive';
const FALSE_POSITIVE_APPROVAL = 'violation.false_positive' as const;
const METRES_PER_DEGREE = 111_000;
/** Fixes tested against a zone between two turns of the event loop. */
const ZONE_TEST_SLICE = 5_000;

/** Violations as officers see and work them: within their agency's jurisdiction, every step audited and sealed. */
@Injectable()
export class ViolationsService {
  constructor(
    private readonly store: Store,
    private readonly evidence: EvidenceService,
    private readonly zones: ZonesService,
    private readonly catalogue: ZoneCatalogueService,
    private readonly needToKnow: NeedToKnow,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Agencies' users see the jurisdiction of their agency; administrators and auditors the whole country. */
  scopeOf(user: AuthenticatedUser): ViolationScope {
    const agencyId = NeedToKnow.agencyOf(user);
    return agencyId === null ? { all: true } : { agencyId };
  }

  async list(query: ViolationQueryDto, user: AuthenticatedUser) {
    const result = await this.store.repos.violationCases.search(
      {
        status: query.status,
        workflowStatus: query.workflowStatus,
        zoneKind: query.zoneKind,
        department: query.department ? normaliseDepartment(query.department) : undefined,
        machineId: query.machineId,
        from: query.from,
        to: query.to,
        ...pageWindow(query),
      },
      this.scopeOf(user),
    );
    const contexts = await alertContexts(this.store.repos, result.items, mayNamePersons(user));
    return toPage(query, result, (row) => violationView(row, row.effective_department, contexts.get(row.id)));
  }

  /** The violation if the user may see it: 404 when it does not exist, 403 outside the agency's jurisdiction. */
  async visible(
    id: string,
    user: AuthenticatedUser,
    repos: Repositories = this.store.repos,
  ): Promise<ViolationRow> {
    const row = await repos.violationCases.findById(id);
    if (!row) throw notFound('violation', id);
    await this.checkAccess(row, user, repos);
    return row;
  }

  async checkAccess(
    row: ViolationRow,
    user: AuthenticatedUser,
    repos: Repositories = this.store.repos,
  ): Promise<void> {
    const scope = this.scopeOf(user);
    if ('all' in scope) return;
    const subscriptions = (await repos.agencyChannels.subscriptions(scope.agencyId)).map(toSubscription);
    if (!agencyMaySee(subscriptions, scope.agencyId, await this.alertOf(row, repos)))
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `violation ${row.id} is outside the jurisdiction of your agency`,
      });
  }

  async alertOf(row: ViolationRow, repos: Repositories = this.store.repos): Promise<RoutableAlert> {
    const department =
      row.department ?? (await repos.violationCases.machineDepartment(row.machine_id)) ?? null;
    return {
      zoneKind: row.zone_kind,
      department,
      severity: row.severity,
      escalationLevel: row.escalation_level,
    };
  }

  async detail(id: string, user: AuthenticatedUser) {
    const row = await this.visible(id, user);
    const steps = await this.store.repos.violationCases.steps(id);
    return {
      ...violationView(
        row,
        (await this.alertOf(row)).department,
        (await alertContexts(this.store.repos, [row], mayNamePersons(user))).get(row.id),
      ),
      steps: steps.map((s) => ({
        id: s.id,
        step: s.step,
        at: s.at,
        actor: s.actor_username,
        agencyId: s.agency_id,
        notes: s.notes,
        reference: s.reference,
        resolution: s.resolution,
        escalationLevel: s.escalation_level,
      })),
      pendingFalsePositive: await this.pendingFalsePositive(id),
    };
  }

  /** One workflow step, its audit entry, its event for the agencies and its evidence link, in one transaction. */
  async step(
    id: string,
    step: Step,
    input: { notes?: string | undefined; reference?: string | undefined; resolution?: string | undefined },
    user: AuthenticatedUser,
  ) {
    if (step === 'resolved' && input.resolution === FALSE_POSITIVE)
      throw unprocessable(
        'a false-positive resolution needs a second person: propose it (POST /v1/violations/{id}/resolve with resolution false_positive and the reason in notes), then another officer confirms it',
        'resolution',
      );
    await this.store.transaction(async (repos) => {
      const row = await repos.violationCases.lock(id);
      if (!row) throw notFound('violation', id);
      await this.checkAccess(row, user, repos);
      await this.applyStep(repos, row, step, input, {
        id: user.id,
        username: user.username,
        agencyId: user.agencyId,
      });
    });
    return this.detail(id, user);
  }

  private async applyStep(
    repos: Repositories,
    row: ViolationRow,
    step: Step,
    input: {
      notes?: string | null | undefined;
      reference?: string | null | undefined;
      resolution?: string | undefined;
    },
    by: { id: string | null; username: string; agencyId: string | null },
    extraAudit: Record<string, unknown> = {},
  ): Promise<void> {
    const id = row.id;
    if (!FROM[step].includes(row.workflow_status))
      throw unprocessable(
        `a violation that is ${row.workflow_status} cannot be ${step}; it must be ${FROM[step].join(' or ')}`,
        'workflowStatus',
      );
    if (step === 'resolved' && input.resolution === 'interdiction' && row.workflow_status !== 'dispatched')
      throw unprocessable('an interdiction is carried out by a dispatched field operation', 'resolution');
    await repos.violationCases.addStep({
      violationId: id,
      step,
      actorId: by.id,
      actorUsername: by.username,
      agencyId: by.agencyId,
      notes: input.notes ?? null,
      reference: input.reference ?? null,
      resolution: input.resolution ?? null,
      escalationLevel: null,
    });
    const updated = await repos.violationCases.setWorkflow(
      id,
      step,
      step === 'resolved' ? (input.resolution ?? null) : row.resolution,
    );
    await repos.audit.record({
      actor: { id: by.id, username: by.username },
      action: `violation.${step}`,
      entityType: 'violation',
      entityId: id,
      before: { workflowStatus: row.workflow_status },
      after: {
        workflowStatus: updated.workflow_status,
        ...(input.notes ? { notes: input.notes } : {}),
        ...(input.reference ? { reference: input.reference } : {}),
        ...(input.resolution ? { resolution: input.resolution } : {}),
        ...extraAudit,
      },
    });
    const type = row.zone_kind === 'integrity' ? 'integrity.updated' : 'violation.updated';
    await repos.violations.addOutboxEvent(type, 'violation', id, updated);
    await this.evidence.sealIn(repos, id);
  }

  /**
   * First half of a false-positive resolution: records who proposes it, when and why; the violation stays as it
   * is until another person confirms (`confirmFalsePositive`).
   */
  async proposeFalsePositive(id: string, notes: string | undefined, user: AuthenticatedUser) {
    if (!notes)
      throw validationFailed([
        { field: 'notes', messages: ['a false-positive resolution needs its reason in notes'] },
      ]);
    const proposal = await this.store.transaction(async (repos) => {
      const row = await repos.violationCases.lock(id);
      if (!row) throw notFound('violation', id);
      await this.checkAccess(row, user, repos);
      if (!FROM.resolved.includes(row.workflow_status))
        throw unprocessable(
          `a violation that is ${row.workflow_status} cannot be resolved; it must be ${FROM.resolved.join(' or ')}`,
          'workflowStatus',
        );
      const pending = await repos.approvals.pending(FALSE_POSITIVE_APPROVAL, id);
      if (pending)
        throw conflict(
          'resolution',
          `${pending.proposed_by_username} already proposed this violation as a false positive at ${pending.proposed_at.toISOString()}; another officer confirms or rejects it`,
        );
      const created = await repos.approvals.create({
        kind: FALSE_POSITIVE_APPROVAL,
        entityId: id,
        payload: { workflowStatus: row.workflow_status },
        reason: notes,
        proposedBy: user.id,
        proposedByUsername: user.username,
        proposerAgencyId: user.agencyId,
      });
      await repos.audit.record({
        actor: actorOf(user),
        action: 'violation.false_positive_proposed',
        entityType: 'violation',
        entityId: id,
        after: { proposalId: created.id, reason: notes, agencyId: user.agencyId },
      });
      return created;
    });
    return { ...(await this.detail(id, user)), pendingFalsePositive: proposalView(proposal) };
  }

  /**
   * Second half: another person confirms, and the violation is resolved as a false positive in the proposer's
   * name (their agency is the one that dismissed it), the confirmation in the step's reference, sealed with it.
   * Who may confirm: an administrator, or an enforcement officer who sees the violation and belongs to the
   * proposer's agency or to an agency whose jurisdiction over it is national (a subscription without departments,
   * the supervising level); never the proposer.
   */
  async confirmFalsePositive(id: string, notes: string | undefined, user: AuthenticatedUser) {
    await this.store.transaction(async (repos) => {
      const row = await repos.violationCases.lock(id);
      if (!row) throw notFound('violation', id);
      await this.checkAccess(row, user, repos);
      const pending = await repos.approvals.pending(FALSE_POSITIVE_APPROVAL, id);
      if (!pending)
        throw notFoundMessage(`violation ${id} has no pending false-positive proposal to confirm`);
      if (pending.proposed_by === user.id)
        throw forbidden(
          `you proposed violation ${id} as a false positive; another officer of your agency or of a supervising agency, or an administrator, must confirm it`,
        );
      await this.checkConfirmer(row, pending.proposer_agency_id, user, repos);
      await repos.approvals.decide(pending.id, 'confirmed', actorOf(user), notes ?? null);
      await this.applyStep(
        repos,
        row,
        'resolved',
        {
          notes: pending.reason,
          reference: `false positive confirmed by ${user.username} (proposal ${pending.id})`,
          resolution: FALSE_POSITIVE,
        },
        {
          id: pending.proposed_by,
          username: pending.proposed_by_username,
          agencyId: pending.proposer_agency_id,
        },
        { proposalId: pending.id, proposedBy: pending.proposed_by_username, confirmedBy: user.username },
      );
      await repos.audit.record({
        actor: actorOf(user),
        action: 'violation.false_positive_confirmed',
        entityType: 'violation',
        entityId: id,
        after: {
          proposalId: pending.id,
          proposedBy: pending.proposed_by_username,
          ...(notes ? { notes } : {}),
        },
      });
    });
    return this.detail(id, user);
  }

  /** Withdraws (the proposer) or turns down (someone who may confirm) a pending false-positive proposal. */
  async rejectFalsePositive(id: string, notes: string, user: AuthenticatedUser) {
    await this.store.transaction(async (repos) => {
      const row = await repos.violationCases.lock(id);
      if (!row) throw notFound('violation', id);
      await this.checkAccess(row, user, repos);
      const pending = await repos.approvals.pending(FALSE_POSITIVE_APPROVAL, id);
      if (!pending) throw notFoundMessage(`violation ${id} has no pending false-positive proposal`);
      if (pending.proposed_by !== user.id)
        await this.checkConfirmer(row, pending.proposer_agency_id, user, repos);
      await repos.approvals.decide(pending.id, 'rejected', actorOf(user), notes);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'violation.false_positive_rejected',
        entityType: 'violation',
        entityId: id,
        after: { proposalId: pending.id, proposedBy: pending.proposed_by_username, notes },
      });
    });
    return this.detail(id, user);
  }

  private async checkConfirmer(
    row: ViolationRow,
    proposerAgencyId: string | null,
    user: AuthenticatedUser,
    repos: Repositories,
  ): Promise<void> {
    if (user.role === 'admin') return;
    if (user.agencyId && user.agencyId === proposerAgencyId) return;
    if (user.agencyId) {
      const national = (await repos.agencyChannels.subscriptions(user.agencyId))
        .map(toSubscription)
        .filter((s) => s.departments.length === 0);
      if (agencyMaySee(national, user.agencyId, await this.alertOf(row, repos))) return;
    }
    throw forbidden(
      `only an officer of the proposing agency, an officer of an agency with national jurisdiction over violation ${row.id}, or an administrator may decide on its false-positive proposal`,
    );
  }

  /**
   * Dismissal statistics: per agency (of the officer who resolved), the violations resolved in [from, to) by kind
   * and the false-positive share, with the false-positive proposals made, pending and rejected; agencies by
   * descending false-positive share, so an office dismissing far more than its peers stands out.
   */
  async dismissals(from: Date, to: Date) {
    if (to <= from) throw validationFailed([{ field: 'to', messages: ['to must be after from'] }]);
    const [{ resolved, proposals }, agencies] = await Promise.all([
      this.store.repos.violationCases.dismissals(from, to),
      this.store.repos.agencies.list(),
    ]);
    type Row = {
      agencyId: string | null;
      code: string | null;
      name: string;
      resolved: number;
      interdiction: number;
      falsePositive: number;
      duplicate: number;
      falsePositiveShare: number | null;
      falsePositiveProposals: { pending: number; confirmed: number; rejected: number };
    };
    const rows = new Map<string | null, Row>();
    const byId = new Map(agencies.map((a) => [a.id, a]));
    const rowOf = (agencyId: string | null): Row => {
      let row = rows.get(agencyId);
      if (!row) {
        const agency = agencyId ? byId.get(agencyId) : undefined;
        row = {
          agencyId,
          code: agency?.code ?? null,
          name: agency?.name ?? (agencyId ? 'unknown agency' : 'no agency (administrators)'),
          resolved: 0,
          interdiction: 0,
          falsePositive: 0,
          duplicate: 0,
          falsePositiveShare: null,
          falsePositiveProposals: { pending: 0, confirmed: 0, rejected: 0 },
        };
        rows.set(agencyId, row);
      }
      return row;
    };
    for (const r of resolved) {
      const row = rowOf(r.agency_id);
      const count = Number(r.count);
      row.resolved += count;
      if (r.resolution === 'interdiction') row.interdiction += count;
      else if (r.resolution === FALSE_POSITIVE) row.falsePositive += count;
      else if (r.resolution === 'duplicate') row.duplicate += count;
    }
    for (const p of proposals) {
      const row = rowOf(p.agency_id);
      if (p.status === 'pending' || p.status === 'confirmed' || p.status === 'rejected')
        row.falsePositiveProposals[p.status] += Number(p.count);
    }
    const share = (part: number, whole: number) =>
      whole === 0 ? null : Math.round((part / whole) * 1000) / 1000;
    for (const row of rows.values()) row.falsePositiveShare = share(row.falsePositive, row.resolved);
    const list = [...rows.values()].sort(
      (a, b) => (b.falsePositiveShare ?? -1) - (a.falsePositiveShare ?? -1) || b.resolved - a.resolved,
    );
    const total = list.reduce(
      (sum, row) => ({
        resolved: sum.resolved + row.resolved,
        interdiction: sum.interdiction + row.interdiction,
        falsePositive: sum.falsePositive + row.falsePositive,
        duplicate: sum.duplicate + row.duplicate,
      }),
      { resolved: 0, interdiction: 0, falsePositive: 0, duplicate: 0 },
    );
    return {
      from,
      to,
      total: { ...total, falsePositiveShare: share(total.falsePositive, total.resolved) },
      agencies: list,
    };
  }

  /** The pending false-positive proposal of a violation, if any. */
  async pendingFalsePositive(id: string) {
    const pending = (await this.store.repos.approvals.history(FALSE_POSITIVE_APPROVAL, id)).find(
      (p) => p.status === 'pending',
    );
    return pending ? proposalView(pending) : null;
  }

  /** The evidence of a violation; the owner's document masked for readers who need not know it. */
  async evidenceOf(id: string, user: AuthenticatedUser) {
    const row = await this.visible(id, user);
    const evidence = await this.evidence.evidence(row);
    const viewer = await this.needToKnow.viewer(user);
    const documentNumber = documentFor(viewer, evidence.owner.documentType, evidence.owner.documentNumber);
    return documentNumber === evidence.owner.documentNumber
      ? evidence
      : { ...evidence, owner: { ...evidence.owner, documentNumber } };
  }

  /** The evidence with the track of its positions as a GeoJSON LineString. */
  async evidenceWithTrack(id: string, user: AuthenticatedUser) {
    const evidence = await this.evidenceOf(id, user);
    return { ...evidence, track: trackLine(evidence.positions) };
  }

  async verification(id: string, user: AuthenticatedUser) {
    await this.visible(id, user);
    return this.evidence.verify(id);
  }

  /**
   * Which machines had fixes inside a zone (its buffer included) or a drawn polygon during [from, to); for an
   * agency's users, only the fixes in a department of its jurisdiction. Bounded: the polygon's vertices, the
   * area's bounding box and the period are limited (400); one deadline covers the read of the fixes (in pages,
   * under statement_timeout) and their test, which above a small size runs on a worker thread (422 when it runs
   * out).
   */
  async machinesInArea(query: AreaQueryDto, user: AuthenticatedUser) {
    if ((query.zoneId === undefined) === (query.polygon === undefined))
      throw validationFailed([{ field: 'zoneId', messages: ['give either zoneId or polygon'] }]);
    if (query.to <= query.from)
      throw validationFailed([{ field: 'to', messages: ['to must be after from'] }]);
    const limits = this.config;
    // One time bound for the whole query: the read of the fixes and their test against the area.
    const deadline = Date.now() + limits.areaQueryTimeoutMs;
    const days = (query.to.getTime() - query.from.getTime()) / 86_400_000;
    if (days > limits.areaQueryMaxDays)
      throw validationFailed([
        {
          field: 'to',
          messages: [
            `the period spans ${Math.ceil(days)} days; an area query may span at most ${limits.areaQueryMaxDays} (AREA_QUERY_MAX_DAYS): query shorter periods`,
          ],
        },
      ]);
    let coordinates: unknown;
    let margin = 0;
    let inside: (fixes: ReadonlyArray<{ lat: number; lon: number }>) => Promise<Set<number>>;
    if (query.polygon !== undefined) {
      const polygon = query.polygon;
      if (!isAreaGeometry(polygon))
        throw validationFailed([
          {
            field: 'polygon',
            messages: ['polygon must be a GeoJSON Polygon or MultiPolygon with closed rings'],
          },
        ]);
      const vertices = vertexCount(polygon.coordinates);
      if (vertices > limits.areaQueryMaxVertices)
        throw validationFailed([
          {
            field: 'polygon',
            messages: [
              `the polygon has ${vertices} vertices; an area query may have at most ${limits.areaQueryMaxVertices} (AREA_QUERY_MAX_VERTICES): simplify it`,
            ],
          },
        ]);
      coordinates = polygon.coordinates;
      inside = (fixes) =>
        fixesInsidePolygon(polygon, fixes, {
          inlineWork: limits.areaQueryInlineWork,
          timeoutMs: Math.max(1, deadline - Date.now()),
        });
    } else {
      const feature = await this.zones.zoneFeature(query.zoneId!);
      coordinates = (feature.geometry as { coordinates: unknown }).coordinates;
      const buffer = Number((feature.properties as { bufferMeters?: number }).bufferMeters ?? 0);
      margin = buffer / METRES_PER_DEGREE + 0.001;
      const zoneId = query.zoneId!;
      const engine = this.catalogue.engine;
      // The geofence index answers each fix in microseconds, whatever the zone's vertices; in slices, giving the
      // event loop back between them, and within the query's time.
      inside = async (fixes) => {
        const found = new Set<number>();
        for (let start = 0; start < fixes.length; start += ZONE_TEST_SLICE) {
          if (start > 0) {
            await new Promise((resume) => setImmediate(resume));
            if (Date.now() > deadline) throw new WorkerTimeoutError(limits.areaQueryTimeoutMs);
          }
          const end = Math.min(fixes.length, start + ZONE_TEST_SLICE);
          for (let i = start; i < end; i++) {
            const fix = fixes[i]!;
            if (engine.zonesAt(fix.lat, fix.lon).some((z) => z.id === zoneId)) found.add(i);
          }
        }
        return found;
      };
    }
    const box = boundingBox(coordinates, margin);
    const km2 = boxAreaKm2(box);
    if (km2 > limits.areaQueryMaxAreaKm2)
      throw validationFailed([
        {
          field: query.polygon !== undefined ? 'polygon' : 'zoneId',
          messages: [
            `the area's bounding box covers ${Math.round(km2)} km²; an area query may cover at most ${limits.areaQueryMaxAreaKm2} km² (AREA_QUERY_MAX_AREA_KM2): query a smaller area`,
          ],
        },
      ]);
    const tooLong = () =>
      unprocessable(
        `the area query did not finish within ${limits.areaQueryTimeoutMs} ms (AREA_QUERY_TIMEOUT_MS): query a smaller area or a shorter period`,
        'to',
      );
    let fixes: Array<{ imei: string; fix_time: Date; lat: number; lon: number }>;
    let matched: Set<number>;
    try {
      // In pages, each a statement under the time left: the event loop turns between pages (it matters with the
      // embedded database, which runs on this thread).
      fixes = [];
      for (;;) {
        const last = fixes.at(-1);
        const page = await this.store.transaction(async (repos, tx) => {
          await setStatementTimeout(tx, Math.max(1, deadline - Date.now()));
          return repos.evidence.fixesInBox(
            box,
            query.from,
            query.to,
            Math.min(AREA_FIX_PAGE, AREA_FIX_LIMIT - fixes.length),
            last,
          );
        });
        fixes.push(...page);
        if (page.length < AREA_FIX_PAGE || fixes.length >= AREA_FIX_LIMIT) break;
        if (Date.now() > deadline) throw new WorkerTimeoutError(limits.areaQueryTimeoutMs);
      }
      matched = await inside(fixes);
      // Agencies' users see only the fixes that lie in a department of their jurisdiction.
      const departments = await this.needToKnow.departments(user);
      if ('only' in departments) {
        const engine = this.catalogue.engine;
        const inJurisdiction = (lat: number, lon: number) =>
          engine
            .zonesAt(lat, lon)
            .some(
              (z) =>
                z.kind === 'jurisdiction' && departments.only.has(departmentOf(z.properties?.['department'])),
            );
        const kept = new Set<number>();
        let tested = 0;
        for (const i of matched) {
          if (++tested % ZONE_TEST_SLICE === 0) {
            await new Promise((resume) => setImmediate(resume));
            if (Date.now() > deadline) throw new WorkerTimeoutError(limits.areaQueryTimeoutMs);
          }
          const fix = fixes[i]!;
          if (inJurisdiction(fix.lat, fix.lon)) kept.add(i);
        }
        matched = kept;
      }
    } catch (error) {
      if (error instanceof WorkerTimeoutError || sqlStateOf(error) === '57014') throw tooLong();
      throw error;
    }
    const seen = new Map<string, { imei: string; first: Date; last: Date; fixes: number }>();
    fixes.forEach((fix, i) => {
      if (!matched.has(i)) return;
      const entry = seen.get(fix.imei);
      if (!entry) seen.set(fix.imei, { imei: fix.imei, first: fix.fix_time, last: fix.fix_time, fixes: 1 });
      else {
        entry.last = fix.fix_time;
        entry.fixes++;
      }
    });
    const bindings = await this.store.repos.evidence.machinesOfTrackers([...seen.keys()]);
    const machines = [...seen.values()].map((entry) => {
      const ofTracker = bindings.filter((b) => b.imei === entry.imei);
      // The machine the tracker was bound to at the time; else (fixes dated before the binding, device clock
      // off) the machine it is bound to now, flagged.
      const atTheTime = ofTracker.find(
        (b) => b.bound_at <= entry.last && (b.unbound_at === null || b.unbound_at >= entry.first),
      );
      const binding = atTheTime ?? ofTracker.find((b) => b.unbound_at === null);
      return {
        imei: entry.imei,
        machineId: binding?.machine_id ?? null,
        registryNumber: binding?.registry_number ?? null,
        category: binding?.category ?? null,
        firstSeenAt: entry.first,
        lastSeenAt: entry.last,
        fixes: entry.fixes,
        boundAtTheTime: atTheTime !== undefined,
      };
    });
    return { from: query.from, to: query.to, truncated: fixes.length >= AREA_FIX_LIMIT, machines };
  }
}

/** The surface of a lat/lon bounding box, in square kilometres (spherical, close enough for a limit). */
function boxAreaKm2(box: { minLat: number; maxLat: number; minLon: number; maxLon: number }): number {
  const rad = Math.PI / 180;
  const earthKm = 6371.0088;
  return (
    earthKm *
    earthKm *
    Math.abs(Math.sin(box.maxLat * rad) - Math.sin(box.minLat * rad)) *
    Math.abs(box.maxLon - box.minLon) *
    rad
  );
}

/** A jurisdiction zone's department as ingest places alerts in it (docs/rules.md). */
function departmentOf(value: unknown): string {
  return typeof value === 'string' ? (normaliseDepartment(value) ?? value.toUpperCase()) : '';
}

/**
 * Whether the user may see a natural person's name in an alert: administrators and enforcement officers, who act
 * on it, and auditors, who review how they did; agencies' integrations (like their webhooks and MQTT) get the
 * owner's kind and the registry number.
 */
export function mayNamePersons(user: AuthenticatedUser): boolean {
  return user.role === 'admin' || user.role === 'enforcement_officer' || user.role === 'auditor';
}

function forbidden(message: string): ForbiddenException {
  return new ForbiddenException({ statusCode: 403, error: 'Forbidden', message });
}

function notFoundMessage(message: string): NotFoundException {
  return new NotFoundException({ statusCode: 404, error: 'Not Found', message });
}
