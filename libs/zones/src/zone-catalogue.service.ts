import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  Actor,
  ApprovalProposalRow,
  CatalogueEntry,
  DATABASE,
  Database,
  Store,
  setStatementTimeout,
} from '@app/db';
import {
  Catalogue,
  GeofenceEngine,
  ImportReport,
  LayerImport,
  LayerImportProgress,
  LayerMapping,
  WorkerTimeoutError,
  Zone,
  importLayer,
  importLayerInWorker,
  loadDefaultCatalogueInBackground,
  makeCatalogue,
  referenceLines,
} from '@app/geofence';
import type { FeatureCollection } from 'geojson';
import {
  CatalogueVersionNotFoundError,
  ImportTimedOutError,
  NoPendingProposalError,
  ProposalConflictError,
  SecondPersonRequiredError,
  UnimportableLayerError,
} from './zone-catalogue.errors';

export const DEFAULT_CATALOGUE_LAYER_PROPERTY = 'layer';

export interface CatalogueVersionView {
  version: string;
  parentVersion: string | null;
  description: string;
  zoneCount: number;
  createdAt: Date;
  activatedAt: Date | null;
  active: boolean;
}

export interface ImportOutcome {
  version: string;
  parentVersion: string | null;
  zoneCount: number;
  activated: boolean;
  unchanged: boolean;
  report: ImportReport;
}

export interface ActivationApproval {
  readonly proposalId: string;
  readonly proposedBy: string;
  readonly reason?: string;
}

const ACTIVATION = 'zone_catalogue.activation' as const;

/** Notification channel of changes to the active catalogue version (a trigger on `zone_catalogue_active`). */
const ZONE_CATALOGUE_CHANNEL = 'zone_catalogue';

/**
 * Keeps the zone catalogue (versioned, in the database) and the geofence index of the active version.
 * A new version's index is built off the request path and swapped in without a restart, in this process and, as
 * the activation is notified, in every other process holding an index (ingest instances, the API's replicas).
 */
@Injectable()
export class ZoneCatalogueService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ZoneCatalogue');
  readonly engine: GeofenceEngine;
  private initialising: Promise<void> | undefined;
  private following: Promise<void> = Promise.resolve();
  private stopListening: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.engine = new GeofenceEngine({ cacheDir: config.geofenceCacheDir });
  }

  onApplicationBootstrap(): void {
    this.initialising = this.initialise()
      .catch((error: unknown) => {
        this.logger.error(
          `zone catalogue not loaded: ${error instanceof Error ? error.stack : String(error)}`,
        );
      })
      .then(async () => {
        // Listening (again) also catches up with an activation made while not listening.
        const follow = () => void this.followActive();
        this.stopListening = await this.database.listen(ZONE_CATALOGUE_CHANNEL, {
          listening: follow,
          notified: follow,
          lost: () => undefined,
        });
      });
  }

  async onModuleDestroy(): Promise<void> {
    await this.initialising;
    await this.stopListening?.();
    await this.following;
  }

  /** Resolves once the active catalogue's index is in use (or there is no catalogue). */
  async ready(): Promise<void> {
    await this.initialising;
  }

  private async initialise(): Promise<void> {
    let version = await this.store.repos.zones.activeVersion();
    let seeded: Catalogue | undefined;
    if (!version && this.config.zoneCatalogueSeed === 'default') {
      seeded = await this.seedDefaultCatalogue();
      version = seeded.version;
    }
    if (!version) {
      this.logger.warn('no zone catalogue: import layers through POST /v1/zones/import');
      return;
    }
    const started = Date.now();
    const catalogue = seeded ?? (await this.catalogueOf(version));
    await this.engine.activate(catalogue);
    this.logger.log(
      `geofence index of catalogue ${version.slice(0, 12)} ready: ${catalogue.zones.length} zones in ${Date.now() - started} ms`,
    );
  }

  /** Switches this process's index to the active version if another process activated a different one. */
  followActive(): Promise<void> {
    this.following = this.following.then(async () => {
      try {
        const version = await this.store.repos.zones.activeVersion();
        if (!version || version === this.engine.version) return;
        const started = Date.now();
        const catalogue = await this.catalogueOf(version);
        await this.engine.activate(catalogue);
        this.logger.log(
          `switched to catalogue ${version.slice(0, 12)} (activated elsewhere): ${catalogue.zones.length} zones in ${Date.now() - started} ms`,
        );
      } catch (error) {
        this.logger.error(
          `could not follow the active catalogue: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
    return this.following;
  }

  /** Stores and activates the default catalogue; its zones are those the stored version reads back. */
  private async seedDefaultCatalogue(): Promise<Catalogue> {
    const started = Date.now();
    const { catalogue, report } = await loadDefaultCatalogueInBackground({
      dataDir: this.config.geodataDir,
      cacheDir: this.config.geofenceCacheDir,
    });
    const entries = catalogue.zones.map((zone) => ({ zone, layer: layerOf(zone) }));
    await this.store.transaction(async (repos) => {
      if (await repos.zones.findVersion(catalogue.version)) return;
      await repos.zones.saveVersion({
        version: catalogue.version,
        parentVersion: null,
        description: 'Default catalogue: Peru layers shipped with the product',
        report,
        createdBy: null,
        entries,
      });
      await repos.zones.activate(catalogue.version, new Date());
      await repos.audit.record({
        actor: { id: null, username: 'system' },
        action: 'zone_catalogue.seeded',
        entityType: 'zone_catalogue',
        entityId: catalogue.version,
        after: {
          zoneCount: entries.length,
          repaired: report.repaired.length,
          merged: report.merged.length,
          rejected: report.rejected.length,
        },
      });
    });
    this.logger.log(
      `default zone catalogue loaded: ${entries.length} zones, ${report.repaired.length} repaired, ${report.merged.length} merged, ${report.rejected.length} rejected (${Date.now() - started} ms)`,
    );
    return catalogue;
  }

  /** The stored version's zones, in the catalogue's canonical (id) order that its index refers to. */
  async catalogueOf(version: string): Promise<Catalogue> {
    const entries = await this.store.repos.zones.loadEntries(version);
    return { version, zones: makeCatalogue(entries.map((e) => e.zone)).zones };
  }

  /** Imports one layer into a new version: the active zones, minus the layer's previous zones, plus the new ones. */
  async importLayer(
    mapping: LayerMapping,
    geojson: FeatureCollection,
    activate: boolean,
    by: Actor,
  ): Promise<ImportOutcome> {
    const imported = await this.prepareLayer(mapping, geojson);
    return this.storeLayer(mapping, imported, activate, by);
  }

  /**
   * The layer's zones and report: checks, repair of invalid polygons, buffers, name check. With `timeoutMs`, on a
   * worker thread stopped after that time (ImportTimedOutError), so this thread keeps serving; without, here.
   */
  async prepareLayer(
    mapping: LayerMapping,
    geojson: FeatureCollection,
    options: {
      timeoutMs?: number;
      onProgress?: (progress: LayerImportProgress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<LayerImport> {
    let imported: LayerImport;
    const references = await this.referencesFor(mapping);
    try {
      imported =
        options.timeoutMs === undefined
          ? importLayer(geojson, mapping, { references })
          : await importLayerInWorker(geojson, mapping, references, {
              timeoutMs: options.timeoutMs,
              ...(options.onProgress ? { onProgress: options.onProgress } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            });
    } catch (error) {
      if (error instanceof WorkerTimeoutError)
        throw new ImportTimedOutError(Math.round(error.timeoutMs / 1000));
      if (options.signal?.aborted) throw error;
      throw new UnimportableLayerError(
        `the layer cannot be imported: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (imported.zones.length === 0) {
      throw new UnimportableLayerError(
        `no feature of the layer could be imported (${imported.report.rejected.length} rejected)`,
      );
    }
    return imported;
  }

  /**
   * Stores a prepared layer as a new catalogue version (activated at once when `activate`: the analysts' CLI; the
   * API proposes the activation instead, see `proposeActivation`). `statementTimeoutMs` bounds each statement.
   */
  async storeLayer(
    mapping: LayerMapping,
    imported: LayerImport,
    activate: boolean,
    by: Actor,
    statementTimeoutMs?: number,
  ): Promise<ImportOutcome> {
    const outcome = await this.store.transaction(async (repos, db) => {
      if (statementTimeoutMs !== undefined) await setStatementTimeout(db, statementTimeoutMs);
      const parentVersion = (await repos.zones.activeVersion()) ?? null;
      const previous: CatalogueEntry[] = parentVersion ? await repos.zones.loadEntries(parentVersion) : [];
      const importedIds = new Set(imported.zones.map((z) => z.id));
      const entries = [
        ...previous.filter((e) => e.layer !== mapping.layer && !importedIds.has(e.zone.id)),
        ...imported.zones.map((zone) => ({ zone, layer: mapping.layer })),
      ];
      const catalogue = makeCatalogue(entries.map((e) => e.zone));
      const unchanged = (await repos.zones.findVersion(catalogue.version)) !== undefined;
      if (!unchanged) {
        await repos.zones.saveVersion({
          version: catalogue.version,
          parentVersion,
          description: `Import of layer ${mapping.layer} (${imported.zones.length} zones)`,
          report: imported.report,
          createdBy: by.id,
          entries,
        });
      }
      if (activate) await repos.zones.activate(catalogue.version, new Date());
      await repos.audit.record({
        actor: by,
        action: 'zone_catalogue.layer_imported',
        entityType: 'zone_catalogue',
        entityId: catalogue.version,
        before: parentVersion ? { version: parentVersion } : undefined,
        after: {
          layer: mapping.layer,
          zones: imported.zones.length,
          activated: activate,
          report: summary(imported.report),
        },
      });
      return { catalogue, parentVersion, unchanged };
    });
    if (activate) await this.engine.activate(outcome.catalogue);
    return {
      version: outcome.catalogue.version,
      parentVersion: outcome.parentVersion,
      zoneCount: outcome.catalogue.zones.length,
      activated: activate,
      unchanged: outcome.unchanged,
      report: imported.report,
    };
  }

  /** For a layer whose names are checked: the river lines of the active catalogue's other layers. */
  private async referencesFor(mapping: LayerMapping) {
    if (!mapping.checkNames) return [];
    const active = await this.store.repos.zones.activeVersion();
    if (!active) return [];
    const entries = await this.store.repos.zones.loadEntries(active);
    return referenceLines(entries.filter((e) => e.layer !== mapping.layer).map((e) => e.zone));
  }

  /** Makes a stored version the active one, here and (by the notification) in every other process. */
  async activateVersion(version: string, by: Actor, approval?: ActivationApproval): Promise<void> {
    const row = await this.store.repos.zones.findVersion(version);
    if (!row) throw new CatalogueVersionNotFoundError(version);
    const catalogue = await this.catalogueOf(version);
    await this.engine.activate(catalogue);
    try {
      await this.recordActivation(version, by, approval);
    } catch (error) {
      // Not activated after all (a confirmation that lost a race): this process follows the stored active version.
      void this.followActive();
      throw error;
    }
  }

  private async recordActivation(version: string, by: Actor, approval?: ActivationApproval): Promise<void> {
    await this.store.transaction(async (repos) => {
      const before = await repos.zones.activeVersion();
      if (approval) {
        const pending = await repos.approvals.pending(ACTIVATION, version);
        if (!pending || pending.id !== approval.proposalId)
          throw new NoPendingProposalError(`no pending activation proposal for catalogue version ${version}`);
        await repos.approvals.decide(pending.id, 'confirmed', by, approval.reason ?? null);
      }
      await repos.zones.activate(version, new Date());
      await repos.audit.record({
        actor: by,
        action: 'zone_catalogue.activated',
        entityType: 'zone_catalogue',
        entityId: version,
        before: before ? { version: before } : undefined,
        after: {
          version,
          ...(approval
            ? { proposalId: approval.proposalId, proposedBy: approval.proposedBy, confirmedBy: by.username }
            : {}),
        },
      });
    });
  }

  /**
   * First half of a two-person activation: records who proposes which version, when and why. Another
   * administrator confirms it (`confirmActivation`); until then the active version does not change.
   */
  async proposeActivation(
    version: string,
    by: Actor,
    reason: string,
    context: { importJobId?: string } = {},
  ): Promise<ApprovalProposalRow> {
    if (!(await this.store.repos.zones.findVersion(version)))
      throw new CatalogueVersionNotFoundError(version);
    return this.store.transaction(async (repos) => {
      if ((await repos.zones.activeVersion()) === version)
        throw new ProposalConflictError(`catalogue version ${version} is already the active one`, 'version');
      const pending = await repos.approvals.pending(ACTIVATION, version);
      if (pending)
        throw new ProposalConflictError(
          `the activation of catalogue version ${version} was already proposed by ${pending.proposed_by_username} at ${pending.proposed_at.toISOString()}; another administrator confirms it`,
          'version',
        );
      const proposal = await repos.approvals.create({
        kind: ACTIVATION,
        entityId: version,
        payload: context,
        reason,
        proposedBy: by.id,
        proposedByUsername: by.username,
        proposerAgencyId: null,
      });
      await repos.audit.record({
        actor: by,
        action: 'zone_catalogue.activation_proposed',
        entityType: 'zone_catalogue',
        entityId: version,
        after: { proposalId: proposal.id, reason, ...context },
      });
      return proposal;
    });
  }

  /** Second half: another administrator than the proposer activates the proposed version. */
  async confirmActivation(version: string, by: Actor, reason?: string): Promise<ApprovalProposalRow> {
    if (!(await this.store.repos.zones.findVersion(version)))
      throw new CatalogueVersionNotFoundError(version);
    const pending = (await this.store.repos.approvals.listPending(ACTIVATION)).find(
      (p) => p.entity_id === version,
    );
    if (!pending)
      throw new NoPendingProposalError(
        `no pending activation proposal for catalogue version ${version}: propose it first (POST /v1/zones/versions/${version}/activate)`,
      );
    if (pending.proposed_by !== null && pending.proposed_by === by.id)
      throw new SecondPersonRequiredError(
        `you proposed the activation of catalogue version ${version}; another administrator must confirm it`,
      );
    await this.activateVersion(version, by, {
      proposalId: pending.id,
      proposedBy: pending.proposed_by_username,
      ...(reason !== undefined ? { reason } : {}),
    });
    return (await this.store.repos.approvals.history(ACTIVATION, version)).find((p) => p.id === pending.id)!;
  }

  /** Withdraws (the proposer) or turns down (another administrator) a pending activation. */
  async rejectActivation(version: string, by: Actor, reason: string): Promise<ApprovalProposalRow> {
    return this.store.transaction(async (repos) => {
      const pending = await repos.approvals.pending(ACTIVATION, version);
      if (!pending)
        throw new NoPendingProposalError(`no pending activation proposal for catalogue version ${version}`);
      const decided = await repos.approvals.decide(pending.id, 'rejected', by, reason);
      await repos.audit.record({
        actor: by,
        action: 'zone_catalogue.activation_rejected',
        entityType: 'zone_catalogue',
        entityId: version,
        after: { proposalId: pending.id, proposedBy: pending.proposed_by_username, reason },
      });
      return decided;
    });
  }

  /** The activation proposals of a version, newest first. */
  activationProposals(version: string): Promise<ApprovalProposalRow[]> {
    return this.store.repos.approvals.history(ACTIVATION, version);
  }

  async versions(): Promise<CatalogueVersionView[]> {
    const [rows, active] = await Promise.all([
      this.store.repos.zones.listVersions(),
      this.store.repos.zones.activeVersion(),
    ]);
    return rows.map((row) => ({
      version: row.version,
      parentVersion: row.parent_version,
      description: row.description,
      zoneCount: row.zone_count,
      createdAt: row.created_at,
      activatedAt: row.activated_at,
      active: row.version === active,
    }));
  }
}

function summary(report: ImportReport) {
  return {
    imported: report.imported,
    repaired: report.repaired.length,
    merged: report.merged.length,
    rejected: report.rejected.length,
  };
}

function layerOf(zone: Zone): string {
  const layer = zone.properties?.[DEFAULT_CATALOGUE_LAYER_PROPERTY];
  if (typeof layer === 'string') return layer;
  return zone.source?.layer ?? `default-${zone.kind}`;
}
