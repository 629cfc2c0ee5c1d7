import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { Actor, Store } from '@app/db';
import type { LayerMapping } from '@app/geofence';
import { notFound, PageQuery, pageWindow, toPage, unprocessable } from '@app/platform';
import {
  CatalogueVersionNotFoundError,
  CatalogueVersionView,
  ImportOutcome,
  UnimportableLayerError,
  ZoneCatalogueService,
} from '@app/zones';
import type { FeatureCollection } from 'geojson';

/** The zone catalogue as the API serves it: searches, features, point queries, imports and activations. */
@Injectable()
export class ZonesService {
  constructor(
    private readonly store: Store,
    private readonly catalogue: ZoneCatalogueService,
  ) {}

  async importLayer(
    mapping: LayerMapping,
    geojson: FeatureCollection,
    activate: boolean,
    by: Actor,
  ): Promise<ImportOutcome> {
    try {
      return await this.catalogue.importLayer(mapping, geojson, activate, by);
    } catch (error) {
      throw httpErrorOf(error);
    }
  }

  async activateVersion(version: string, by: Actor): Promise<CatalogueVersionView> {
    try {
      await this.catalogue.activateVersion(version, by);
    } catch (error) {
      throw httpErrorOf(error);
    }
    return (await this.versions()).find((v) => v.version === version)!;
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
  return error;
}
