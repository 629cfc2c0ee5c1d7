import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, ApprovalProposalRow, Store } from '@app/db';
import { vertexCount, type LayerMapping } from '@app/geofence';
import {
  conflict,
  FieldError,
  notFound,
  PageQuery,
  pageWindow,
  toPage,
  unprocessable,
  validationFailed,
} from '@app/platform';
import {
  CatalogueVersionNotFoundError,
  CatalogueVersionView,
  ImportQueueFullError,
  NoPendingProposalError,
  ProposalConflictError,
  SecondPersonRequiredError,
  UnimportableLayerError,
  ZoneCatalogueService,
  ZoneImportJobsService,
  ZoneImportJobView,
} from '@app/zones';
import type { FeatureCollection, Geometry } from 'geojson';

/** The zone catalogue as the API serves it: searches, features, point queries, imports and activations. */
@Injectable()
export class ZonesService {
  constructor(
    private readonly store: Store,
    private readonly catalogue: ZoneCatalogueService,
    private readonly jobs: ZoneImportJobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Checks the layer's size against the configured limits (400 naming the feature), then starts its job. */
  async submitImport(
    mapping: LayerMapping,
    geojson: FeatureCollection,
    activate: boolean,
    by: Actor,
  ): Promise<ZoneImportJobView> {
    const problems = layerSizeProblems(geojson, this.config);
    if (problems.length > 0) throw validationFailed(problems);
    try {
      return await this.jobs.submit(mapping, geojson, activate, by);
    } catch (error) {
      throw httpErrorOf(error);
    }
  }

  async importJob(id: string): Promise<ZoneImportJobView> {
    const job = await this.jobs.find(id);
    if (!job) throw notFound('zone import', id);
    return job;
  }

  async importJobs(query: PageQuery) {
    const window = pageWindow(query);
    return toPage(query, await this.jobs.list(window.limit, window.offset), (job) => job);
  }

  async proposeActivation(version: string, by: Actor, reason: string) {
    try {
      return proposalView(await this.catalogue.proposeActivation(version, by, reason));
    } catch (error) {
      throw httpErrorOf(error);
    }
  }

  async confirmActivation(version: string, by: Actor, reason?: string) {
    let proposal: ApprovalProposalRow;
    try {
      proposal = await this.catalogue.confirmActivation(version, by, reason);
    } catch (error) {
      throw httpErrorOf(error);
    }
    const view = (await this.versions()).find((v) => v.version === version)!;
    return { ...view, proposal: proposalView(proposal) };
  }

  async rejectActivation(version: string, by: Actor, reason: string) {
    try {
      return proposalView(await this.catalogue.rejectActivation(version, by, reason));
    } catch (error) {
      throw httpErrorOf(error);
    }
  }

  async activationProposals(version: string) {
    if (!(await this.store.repos.zones.findVersion(version))) throw notFound('catalogue version', version);
    return (await this.catalogue.activationProposals(version)).map(proposalView);
  }

  versions(): Promise<CatalogueVersionView[]> {
    return this.catalogue.versions();
  }

  async versionReport(version: string): Promise<unknown> {
    const row = await this.store.repos.zones.findVersion(version);
    if (!row) throw notFound('catalogue version', version);
    return { version, description: row.description, report: row.report };
  }

  async search(query: PageQuery & { kind?: string; layer?: string; name?: string; version?: string }) {
    const version = await this.versionOrActive(query.version);
    const result = await this.store.repos.zones.searchZones(version, {
      kind: query.kind,
      layer: query.layer,
      name: query.name,
      ...pageWindow(query),
    });
    return { version, ...toPage(query, result, (z) => z) };
  }

  async zoneFeature(id: string, version?: string) {
    const resolved = await this.versionOrActive(version);
    const entry = await this.store.repos.zones.findZone(resolved, id);
    if (!entry) throw notFound('zone', id);
    const { geometry, ...attributes } = entry.zone;
    return {
      type: 'Feature',
      id: entry.zone.id,
      geometry,
      properties: { ...attributes, layer: entry.layer, catalogueVersion: resolved },
    };
  }

  zonesAt(lat: number, lon: number) {
    const index = this.catalogue.engine.index;
    if (!index)
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the geofence index is not ready yet',
      });
    const cell = index.cellOf(lat, lon);
    return {
      lat,
      lon,
      cell,
      catalogueVersion: index.version,
      zones: index.zonesAt(lat, lon, cell).map((zone) => ({
        id: zone.id,
        kind: zone.kind,
        name: zone.name,
        code: zone.code ?? null,
        authority: zone.authority,
        legalBasis: zone.legalBasis,
        ...(zone.properties ? { properties: zone.properties } : {}),
        ...(zone.source ? { source: zone.source } : {}),
      })),
    };
  }

  private async versionOrActive(version: string | undefined): Promise<string> {
    if (version) {
      if (!(await this.store.repos.zones.findVersion(version))) throw notFound('catalogue version', version);
      return version;
    }
    const active = await this.store.repos.zones.activeVersion();
    if (!active) throw notFound('catalogue version', 'active');
    return active;
  }
}
/** The catalogue's domain errors as the API's HTTP errors; anything else unchanged. */
function httpErrorOf(error: unknown): unknown {
  if (error instanceof UnimportableLayerError) return unprocessable(error.message, 'geojson');
  if (error instanceof CatalogueVersionNotFoundError) return notFound('catalogue version', error.version);
  if (error instanceof SecondPersonRequiredError)
    return new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: error.message });
  if (error instanceof NoPendingProposalError)
    return new NotFoundException({ statusCode: 404, error: 'Not Found', message: error.message });
  if (error instanceof ProposalConflictError) return conflict(error.field, error.message);
  if (error instanceof ImportQueueFullError)
    return new HttpException(
      { statusCode: 429, error: 'Too Many Requests', message: error.message },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  return error;
}

/** A two-person proposal as the API shows it. */
export function proposalView(row: ApprovalProposalRow) {
  return {
    id: row.id,
    kind: row.kind,
    entityId: row.entity_id,
    status: row.status,
    reason: row.reason,
    proposedBy: row.proposed_by_username,
    proposedAt: row.proposed_at,
    decidedBy: row.decided_by_username,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
  };
}

/** Features, vertices per feature and vertices in all beyond the configured limits, as field messages. */
export function layerSizeProblems(
  geojson: FeatureCollection,
  limits: Pick<AppConfig, 'zoneImportMaxFeatures' | 'zoneImportMaxVertices' | 'zoneImportMaxFeatureVertices'>,
): FieldError[] {
  const features = geojson.features;
  if (features.length > limits.zoneImportMaxFeatures)
    return [
      {
        field: 'geojson.features',
        messages: [
          `the layer has ${features.length} features; at most ${limits.zoneImportMaxFeatures} may be imported at once (ZONE_IMPORT_MAX_FEATURES): split the layer`,
        ],
      },
    ];
  const problems: FieldError[] = [];
  let total = 0;
  features.forEach((feature, i) => {
    const geometry = (feature as { geometry?: Geometry | null } | null)?.geometry;
    const vertices =
      geometry && typeof geometry === 'object' && 'coordinates' in geometry
        ? vertexCount(geometry.coordinates)
        : 0;
    total += vertices;
    if (vertices > limits.zoneImportMaxFeatureVertices && problems.length < 20)
      problems.push({
        field: `geojson.features[${i}].geometry`,
        messages: [
          `feature ${i} has ${vertices} vertices; a feature may have at most ${limits.zoneImportMaxFeatureVertices} (ZONE_IMPORT_MAX_FEATURE_VERTICES): simplify it`,
        ],
      });
  });
  if (total > limits.zoneImportMaxVertices)
    problems.push({
      field: 'geojson.features',
      messages: [
        `the layer has ${total} vertices; at most ${limits.zoneImportMaxVertices} may be imported at once (ZONE_IMPORT_MAX_VERTICES): split or simplify the layer`,
      ],
    });
  return problems;
}
