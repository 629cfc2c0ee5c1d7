import { ForbiddenException, Injectable } from '@nestjs/common';
import { Repositories, Store, ViolationRow, ViolationScope } from '@app/db';
import {
  agencyMaySee,
  boundingBox,
  isAreaGeometry,
  pointInArea,
  RoutableAlert,
  trackLine,
  toSubscription,
} from '@app/dispatch';
import { documentFor, normaliseDepartment } from '@app/registry';
import { EvidenceService, alertContexts, violationView } from '@app/evidence';
import {
  AuthenticatedUser,
  actorOf,
  notFound,
  unprocessable,
  validationFailed,
  pageWindow,
  toPage,
} from '@app/platform';
import { ZoneCatalogueService } from '@app/zones';
import { ZonesService } from '../zones/zones.service';
import { NeedToKnow } from '../common/need-to-know';
import { AreaQueryDto, ViolationQueryDto } from './violations.dto';

type Step = 'acknowledged' | 'dispatched' | 'resolved';

/** Which workflow status each step may follow. */
const FROM: Record<Step, readonly string[]> = {
  acknowledged: ['new'],
  dispatched: ['acknowledged'],
  resolved: ['acknowledged', 'dispatched'],
};

const AREA_FIX_LIMIT = 200_000;
const METRES_PER_DEGREE = 111_000;

/** Violations as officers see and work them: within their agency's jurisdiction, every step audited and sealed. */
@Injectable()
export class ViolationsService {
  constructor(
    private readonly store: Store,
    private readonly evidence: EvidenceService,
    private readonly zones: ZonesService,
    private readonly catalogue: ZoneCatalogueService,
    private readonly needToKnow: NeedToKnow,
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
    };
  }

  /** One workflow step, its audit entry, its event for the agencies and its evidence link, in one transaction. */
  async step(
    id: string,
    step: Step,
    input: { notes?: string | undefined; reference?: string | undefined; resolution?: string | undefined },
    user: AuthenticatedUser,
  ) {
    await this.store.transaction(async (repos) => {
      const row = await repos.violationCases.lock(id);
      if (!row) throw notFound('violation', id);
      await this.checkAccess(row, user, repos);
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
        actorId: user.id,
        actorUsername: user.username,
        agencyId: user.agencyId,
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
        actor: actorOf(user),
        action: `violation.${step}`,
        entityType: 'violation',
        entityId: id,
        before: { workflowStatus: row.workflow_status },
        after: {
          workflowStatus: updated.workflow_status,
          ...(input.notes ? { notes: input.notes } : {}),
          ...(input.reference ? { reference: input.reference } : {}),
          ...(input.resolution ? { resolution: input.resolution } : {}),
        },
      });
      const type = row.zone_kind === 'integrity' ? 'integrity.updated' : 'violation.updated';
      await repos.violations.addOutboxEvent(type, 'violation', id, updated);
      await this.evidence.sealIn(repos, id);
    });
    return this.detail(id, user);
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

  /** Which machines had fixes inside a zone (its buffer included) or a drawn polygon during [from, to). */
  async machinesInArea(query: AreaQueryDto, user: AuthenticatedUser) {
    if ((query.zoneId === undefined) === (query.polygon === undefined))
      throw validationFailed([{ field: 'zoneId', messages: ['give either zoneId or polygon'] }]);
    if (query.to <= query.from)
      throw validationFailed([{ field: 'to', messages: ['to must be after from'] }]);
    let inside: (lat: number, lon: number) => boolean;
    let coordinates: unknown;
    let margin = 0;
    if (query.polygon !== undefined) {
      const polygon = query.polygon;
      if (!isAreaGeometry(polygon))
        throw validationFailed([
          {
            field: 'polygon',
            messages: ['polygon must be a GeoJSON Polygon or MultiPolygon with closed rings'],
          },
        ]);
      coordinates = polygon.coordinates;
      inside = (lat, lon) => pointInArea(lat, lon, polygon);
    } else {
      const feature = await this.zones.zoneFeature(query.zoneId!);
      coordinates = (feature.geometry as { coordinates: unknown }).coordinates;
      const buffer = Number((feature.properties as { bufferMeters?: number }).bufferMeters ?? 0);
      margin = buffer / METRES_PER_DEGREE + 0.001;
      const zoneId = query.zoneId!;
      const engine = this.catalogue.engine;
      inside = (lat, lon) => engine.zonesAt(lat, lon).some((z) => z.id === zoneId);
    }
    // Agencies' users see only the fixes that lie in a department of their jurisdiction.
    const departments = await this.needToKnow.departments(user);
    if ('only' in departments) {
      const inArea = inside;
      const engine = this.catalogue.engine;
      inside = (lat, lon) =>
        inArea(lat, lon) &&
        engine
          .zonesAt(lat, lon)
          .some(
            (z) =>
              z.kind === 'jurisdiction' && departments.only.has(departmentOf(z.properties?.['department'])),
          );
    }
    const fixes = await this.store.repos.evidence.fixesInBox(
      boundingBox(coordinates, margin),
      query.from,
      query.to,
      AREA_FIX_LIMIT,
    );
    const seen = new Map<string, { imei: string; first: Date; last: Date; fixes: number }>();
    for (const fix of fixes) {
      if (!inside(fix.lat, fix.lon)) continue;
      const entry = seen.get(fix.imei);
      if (!entry) seen.set(fix.imei, { imei: fix.imei, first: fix.fix_time, last: fix.fix_time, fixes: 1 });
      else {
        entry.last = fix.fix_time;
        entry.fixes++;
      }
    }
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
