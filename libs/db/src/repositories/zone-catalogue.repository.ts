import { createHash } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { Zone, ZoneGeometry, ZoneKind } from '@app/geofence/model';
import type { DB, ZoneCatalogueVersionRow, ZoneRevisionRow } from '../schema';
import { escapeLike } from './owners.repository';

export interface CatalogueEntry {
  readonly zone: Zone;
  /** The layer (source file or import) the zone came from. */
  readonly layer: string;
}

export interface NewCatalogueVersion {
  readonly version: string;
  readonly parentVersion: string | null;
  readonly description: string;
  readonly report: unknown;
  readonly createdBy: string | null;
  readonly entries: readonly CatalogueEntry[];
}

export interface ZoneSummary {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly code: string | null;
  readonly authority: string;
  readonly legalBasis: string;
  readonly layer: string;
  readonly geometryType: string;
  readonly bufferMeters: number | null;
}

export interface ZoneQuery {
  readonly kind?: string | undefined;
  readonly layer?: string | undefined;
  readonly name?: string | undefined;
  readonly limit: number;
  readonly offset: number;
}

/** Content hash of one zone's attributes and geometry: equal zones share one stored revision. */
export function zoneRevision(zone: Zone): string {
  const properties = zone.properties
    ? Object.fromEntries(Object.entries(zone.properties).sort(([a], [b]) => a.localeCompare(b)))
    : null;
  const canonical = JSON.stringify([
    zone.id,
    zone.kind,
    zone.name,
    zone.code ?? null,
    zone.authority,
    zone.legalBasis,
    zone.bufferMeters ?? null,
    zone.validFrom ?? null,
    zone.validTo ?? null,
    properties,
    zone.geometry,
    // Appended only when present, so zones without a source keep the revision they had.
    ...(zone.source ? [zone.source] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

function zoneFromRow(row: ZoneRevisionRow): Zone {
  return {
    id: row.zone_id,
    kind: row.kind as ZoneKind,
    name: row.name,
    ...(row.code !== null ? { code: row.code } : {}),
    authority: row.authority,
    legalBasis: row.legal_basis,
    geometry: row.geometry as ZoneGeometry,
    ...(row.buffer_meters !== null ? { bufferMeters: row.buffer_meters } : {}),
    ...(row.valid_from !== null ? { validFrom: row.valid_from } : {}),
    ...(row.valid_to !== null ? { validTo: row.valid_to } : {}),
    ...(row.properties !== null ? { properties: row.properties } : {}),
    ...(row.source !== null && row.source !== undefined ? { source: row.source } : {}),
  };
}

const INSERT_BATCH = 25;

export class ZoneCatalogueRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async saveVersion(input: NewCatalogueVersion): Promise<void> {
    const revisions = input.entries.map((entry) => ({ entry, revision: zoneRevision(entry.zone) }));
    for (let i = 0; i < revisions.length; i += INSERT_BATCH) {
      const batch = revisions.slice(i, i + INSERT_BATCH);
      await this.db
        .insertInto('zone_revisions')
        .values(
          batch.map(({ entry: { zone }, revision }) => ({
            revision,
            zone_id: zone.id,
            kind: zone.kind,
            name: zone.name,
            code: zone.code ?? null,
            authority: zone.authority,
            legal_basis: zone.legalBasis,
            geometry: JSON.stringify(zone.geometry),
            buffer_meters: zone.bufferMeters ?? null,
            valid_from: zone.validFrom ?? null,
            valid_to: zone.validTo ?? null,
            properties: zone.properties ? JSON.stringify(zone.properties) : null,
            source: zone.source ? JSON.stringify(zone.source) : null,
          })),
        )
        .onConflict((oc) => oc.column('revision').doNothing())
        .execute();
    }
    await this.db
      .insertInto('zone_catalogue_versions')
      .values({
        version: input.version,
        parent_version: input.parentVersion,
        description: input.description,
        zone_count: input.entries.length,
        report: input.report === undefined ? null : JSON.stringify(input.report),
        created_by: input.createdBy,
      })
      .execute();
    for (let i = 0; i < revisions.length; i += 500) {
      await this.db
        .insertInto('zone_catalogue_entries')
        .values(
          revisions.slice(i, i + 500).map(({ entry, revision }) => ({
            version: input.version,
            zone_id: entry.zone.id,
            revision,
            layer: entry.layer,
          })),
        )
        .execute();
    }
  }

  findVersion(version: string): Promise<ZoneCatalogueVersionRow | undefined> {
    return this.db
      .selectFrom('zone_catalogue_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
  }

  listVersions(): Promise<ZoneCatalogueVersionRow[]> {
    return this.db.selectFrom('zone_catalogue_versions').selectAll().orderBy('created_at', 'desc').execute();
  }

  async activeVersion(): Promise<string | undefined> {
    const row = await this.db.selectFrom('zone_catalogue_active').select('version').executeTakeFirst();
    return row?.version;
  }

  async activate(version: string, at: Date): Promise<void> {
    await this.db
      .insertInto('zone_catalogue_active')
      .values({ singleton: true, version, activated_at: at })
      .onConflict((oc) => oc.column('singleton').doUpdateSet({ version, activated_at: at }))
      .execute();
    await this.db
      .updateTable('zone_catalogue_versions')
      .set({ activated_at: at })
      .where('version', '=', version)
      .execute();
  }

  async loadEntries(version: string): Promise<CatalogueEntry[]> {
    const rows = await this.db
      .selectFrom('zone_catalogue_entries as e')
      .innerJoin('zone_revisions as r', 'r.revision', 'e.revision')
      .selectAll('r')
      .select('e.layer')
      .where('e.version', '=', version)
      .orderBy('e.zone_id')
      .execute();
    return rows.map((row) => ({ zone: zoneFromRow(row), layer: row.layer }));
  }

  async findZone(version: string, zoneId: string): Promise<CatalogueEntry | undefined> {
    const row = await this.db
      .selectFrom('zone_catalogue_entries as e')
      .innerJoin('zone_revisions as r', 'r.revision', 'e.revision')
      .selectAll('r')
      .select('e.layer')
      .where('e.version', '=', version)
      .where('e.zone_id', '=', zoneId)
      .executeTakeFirst();
    return row ? { zone: zoneFromRow(row), layer: row.layer } : undefined;
  }

  async searchZones(version: string, query: ZoneQuery): Promise<{ items: ZoneSummary[]; total: number }> {
    const base = this.db
      .selectFrom('zone_catalogue_entries as e')
      .innerJoin('zone_revisions as r', 'r.revision', 'e.revision')
      .where('e.version', '=', version)
      .$if(query.kind !== undefined, (qb) => qb.where('r.kind', '=', query.kind!))
      .$if(query.layer !== undefined, (qb) => qb.where('e.layer', '=', query.layer!))
      .$if(query.name !== undefined, (qb) => qb.where('r.name', 'ilike', `%${escapeLike(query.name!)}%`));
    const [rows, count] = await Promise.all([
      base
        .select([
          'r.zone_id',
          'r.kind',
          'r.name',
          'r.code',
          'r.authority',
          'r.legal_basis',
          'e.layer',
          'r.buffer_meters',
        ])
        .select(sql<string>`r.geometry->>'type'`.as('geometry_type'))
        .orderBy('r.kind')
        .orderBy('r.name')
        .orderBy('r.zone_id')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      items: rows.map((row) => ({
        id: row.zone_id,
        kind: row.kind,
        name: row.name,
        code: row.code,
        authority: row.authority,
        legalBasis: row.legal_basis,
        layer: row.layer,
        geometryType: row.geometry_type,
        bufferMeters: row.buffer_meters,
      })),
      total: Number(count.total),
    };
  }
}
