import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import { basename, dirname, join, resolve } from 'path';
import type { FeatureCollection } from 'geojson';
import type { Catalogue, ImportReport } from '../model';
import {
  importLayer,
  makeCatalogue,
  mergeReports,
  referenceLines,
  slug,
  type LayerImport,
  type LayerMapping,
} from './importer';

/** Bump when the importer's output for the same input changes. */
export const IMPORTER_VERSION = 6;

export interface DefaultLayer {
  file: string;
  mapping: LayerMapping;
}

/**
 * The default catalogue shipped with the product: which file of `data/peru/` becomes which kind of
 * zone, under which authority and legal basis, and how its attributes map.
 */
export const DEFAULT_LAYERS: DefaultLayer[] = [
  {
    file: 'protected-areas-sernanp.geojson',
    mapping: {
      layer: 'protected-areas-sernanp',
      kind: 'protected_area',
      authority: 'SERNANP',
      idPrefix: 'sernanp-',
      idProperty: ['anp_codi', 'source_key'],
      name: ['nombre', 'anp_nombre', 'acr_nomb', 'acp_nomb', 'zr_nomb'],
      code: ['anp_codi'],
      legalBasis: ['anp_balec', 'acr_balec', 'acp_balec', 'zr_balec', 'legal_fallback'],
      properties: { category: 'categoria', level: 'nivel', location: 'ubicacion' },
    },
  },
  {
    file: 'buffer-zone-tambopata-partial.geojson',
    mapping: {
      layer: 'buffer-zone-tambopata-partial',
      kind: 'buffer_zone',
      authority: 'SERNANP',
      idPrefix: 'sernanp-za-',
      idProperty: 'anp_codi',
      name: {
        value: 'Zona de Amortiguamiento de la Reserva Nacional Tambopata (tramo Interoceánica – La Pampa)',
      },
      code: 'anp_codi',
      legalBasis: ['za_baler', 'za_balem', 'za_balea'],
      validFrom: ['za_feler', 'za_felem', 'za_felea'],
      properties: { protectedArea: 'd_anp_codi' },
    },
  },
  {
    file: 'mining-corridor-madre-de-dios.geojson',
    mapping: {
      layer: 'mining-corridor-madre-de-dios',
      kind: 'mining_corridor',
      authority: 'INGEMMET',
      idPrefix: 'ingemmet-',
      idProperty: 'CODIGO',
      name: { value: 'Corredor minero de Madre de Dios (Zona de Minería Aurífera)' },
      code: 'CODIGO',
      legalBasis: { value: 'D.U. N° 012-2010' },
      validFrom: 'FEC_ING',
      properties: { officialName: 'NOMBRE', status: 'EST_GRAF' },
    },
  },
  {
    file: 'rivers-madre-de-dios.geojson',
    mapping: {
      layer: 'rivers-madre-de-dios',
      kind: 'water_body',
      authority: 'ANA / GOREMAD',
      idPrefix: 'goremad-rio-',
      idProperty: 'id',
      name: 'nombre',
      legalBasis: { value: 'D.L. N° 1100 (dragas prohibidas en ríos); Ley N° 29338, faja marginal' },
      bufferMeters: 200,
      joinGapMeters: 250,
      properties: { waterType: { value: 'río' } },
      checkNames: { description: 'la capa regional de ríos' },
    },
  },
  {
    file: 'rivers-natural-earth-10m.geojson',
    mapping: {
      layer: 'rivers-natural-earth-10m',
      kind: 'water_body',
      authority: 'ANA',
      idPrefix: 'ne-rio-',
      idProperty: ['name', 'rivernum'],
      name: ['name', 'rivernum'],
      legalBasis: { value: 'D.L. N° 1100 (dragas prohibidas en ríos); Ley N° 29338, faja marginal' },
      bufferMeters: 500,
      properties: { waterType: { value: 'río' } },
    },
  },
  {
    file: 'water-bodies-madre-de-dios.geojson',
    mapping: {
      layer: 'water-bodies-madre-de-dios',
      kind: 'water_body',
      authority: 'ANA / GOREMAD',
      idPrefix: 'goremad-',
      idProperty: 'id',
      name: ['nombre', 'display_name'],
      legalBasis: { value: 'D.L. N° 1100; Ley N° 29338 (cuerpos de agua)' },
      properties: { waterType: 'tipo' },
    },
  },
  {
    file: 'lakes-natural-earth-10m.geojson',
    mapping: {
      layer: 'lakes-natural-earth-10m',
      kind: 'water_body',
      authority: 'ANA',
      idPrefix: 'ne-lago-',
      idProperty: 'name',
      name: 'name',
      legalBasis: { value: 'Ley N° 29338 (cuerpos de agua)' },
      properties: { waterType: { value: 'lago' } },
    },
  },
  {
    file: 'departments.geojson',
    mapping: {
      layer: 'departments',
      kind: 'jurisdiction',
      authority: 'INEI',
      idPrefix: 'dep-',
      idProperty: 'FIRST_IDDP',
      name: 'NOMBDEP',
      code: 'FIRST_IDDP',
      legalBasis: { value: 'Límites departamentales INEI (2007)' },
      properties: { department: 'NOMBDEP', ubigeo: 'FIRST_IDDP' },
    },
  },
  {
    file: 'native-communities-ucayali.geojson',
    mapping: {
      layer: 'native-communities-ucayali',
      kind: 'indigenous_land',
      authority: 'GORE Ucayali (DRA) / IBC',
      idPrefix: 'cn-ucayali-',
      idProperty: 'CODIGO',
      name: 'Com_name',
      code: 'CODIGO',
      legalBasis: ['tinroresol', 'Reco_resol', 'legal_fallback'],
      properties: { people: 'PUEBLO_IND', titleStatus: 'SIT_TITUL', department: 'nomdpto' },
    },
  },
  {
    file: 'territorial-reserves.geojson',
    mapping: {
      layer: 'territorial-reserves',
      kind: 'indigenous_land',
      authority: 'MINCUL',
      idPrefix: 'rt-',
      name: 'NOMBRES',
      legalBasis: ['RECONOCIDO', 'legal_fallback'],
      properties: { department: 'DPTO', status: 'ESTADO' },
    },
  },
  {
    file: 'indigenous-territories-mining-impacted.geojson',
    mapping: {
      layer: 'indigenous-territories-mining-impacted',
      kind: 'indigenous_land',
      authority: 'GOREMAD / RAISG',
      idPrefix: 'ti-',
      idProperty: 'id_field',
      name: 'name_field',
      legalBasis: ['status_field', 'legal_fallback'],
      properties: { source: 'source_field' },
    },
  },
];

type Props = Record<string, unknown>;
type Layers = Record<string, FeatureCollection>;

/** Matching key for an area: category plus name without "Sistema de … - " prefixes or articles. */
function areaKey(category: unknown, name: unknown): string {
  let n = String(name ?? '');
  const dash = n.lastIndexOf(' - ');
  if (/^sistema de islas/i.test(n) && dash >= 0) n = n.slice(dash + 3);
  const s = slug(n).replace(/^(de-la-|de-los-|de-las-|del-|de-)/, '');
  return `${slug(String(category ?? ''))}|${s}`;
}

/** Attach official codes and legal bases from the national SERNANP table, and fill fallbacks. */
export function prepareDefaultLayers(layers: Layers): void {
  const national = layers['protected-areas-national-simplified.geojson'];
  const byName = new Map<string, Props>();
  for (const f of national?.features ?? []) {
    const p = (f.properties ?? {}) as Props;
    byName.set(areaKey(p.anp_cate, p.anp_nomb), p);
  }
  for (const f of layers['protected-areas-sernanp.geojson']?.features ?? []) {
    const p = { ...((f.properties ?? {}) as Props) };
    const match = byName.get(areaKey(p.categoria, p.nombre));
    if (match) {
      p.anp_codi = match.anp_codi;
      p.anp_balec = match.anp_balec;
    }
    p.source_key = basename(String(p.source_file ?? ''), '.gpkg') || undefined;
    p.legal_fallback = `${String(p.categoria ?? 'Área natural protegida')} (SINANPE)`;
    f.properties = p;
  }
  for (const f of layers['water-bodies-madre-de-dios.geojson']?.features ?? []) {
    const p = { ...((f.properties ?? {}) as Props) };
    p.display_name = `${String(p.tipo ?? 'Cuerpo de agua')} ${String(p.id ?? '')}`.trim();
    f.properties = p;
  }
  for (const file of [
    'native-communities-ucayali.geojson',
    'territorial-reserves.geojson',
    'indigenous-territories-mining-impacted.geojson',
  ]) {
    for (const f of layers[file]?.features ?? []) {
      const p = { ...((f.properties ?? {}) as Props) };
      p.legal_fallback = 'Ley N° 22175 (comunidades nativas); Ley N° 28736 (pueblos en aislamiento)';
      f.properties = p;
    }
  }
}

/**
 * Imports every default layer; layers whose names are checked are imported last, against the line zones of the
 * other layers (the regional rivers against the Natural Earth centerlines).
 */
function importDefaultLayers(layers: Layers): LayerImport[] {
  const imports = new Map<DefaultLayer, LayerImport>();
  for (const l of DEFAULT_LAYERS) {
    if (!l.mapping.checkNames) imports.set(l, importLayer(layers[l.file] as FeatureCollection, l.mapping));
  }
  for (const l of DEFAULT_LAYERS) {
    if (!l.mapping.checkNames) continue;
    const references = [...imports.entries()]
      .filter(([other]) => other.mapping.layer !== l.mapping.layer)
      .flatMap(([, i]) => referenceLines(i.zones));
    imports.set(l, importLayer(layers[l.file] as FeatureCollection, l.mapping, { references }));
  }
  return DEFAULT_LAYERS.map((l) => imports.get(l) as LayerImport);
}

export interface DefaultCatalogueOptions {
  /** Directory holding the GeoJSON files (default: `data/peru` of the repository). */
  dataDir?: string;
  /** Cache directory for the imported catalogue; `false` disables caching. */
  cacheDir?: string | false;
}

export interface LoadedCatalogue {
  catalogue: Catalogue;
  report: ImportReport;
  fromCache: boolean;
}

export function defaultDataDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'data', 'peru');
    if (existsSync(join(candidate, 'SOURCES.md'))) return candidate;
    dir = dirname(dir);
  }
  return resolve('data', 'peru');
}

export function defaultCacheDir(): string {
  return resolve(dirname(dirname(defaultDataDir())), '.data', 'geofence-cache');
}

interface CatalogueInputs {
  raw: Record<string, Buffer>;
  /** The cache file of the import of these inputs (whether there or not), or null without a cache. */
  cacheFile: string | null;
}

function catalogueInputs(options: DefaultCatalogueOptions): CatalogueInputs {
  const dataDir = options.dataDir ?? defaultDataDir();
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const files = [...DEFAULT_LAYERS.map((l) => l.file), 'protected-areas-national-simplified.geojson'];
  const raw: Record<string, Buffer> = {};
  const h = createHash('sha256');
  h.update(`importer ${IMPORTER_VERSION}\n${JSON.stringify(DEFAULT_LAYERS)}\n`);
  for (const file of files) {
    const buf = readFileSync(join(dataDir, file));
    raw[file] = buf;
    h.update(file);
    h.update(createHash('sha256').update(buf).digest());
  }
  const inputHash = h.digest('hex').slice(0, 32);
  return { raw, cacheFile: cacheDir ? join(cacheDir, `catalogue-${inputHash}.json`) : null };
}

/** The cache file holding the import of the default catalogue's current inputs, or null if there is none. */
export function defaultCatalogueCacheFile(options: DefaultCatalogueOptions = {}): string | null {
  const { cacheFile } = catalogueInputs(options);
  return cacheFile && existsSync(cacheFile) ? cacheFile : null;
}

/** Import the default catalogue from `data/peru/`, cached on disk by content hash of the inputs. */
export function loadDefaultCatalogue(options: DefaultCatalogueOptions = {}): LoadedCatalogue {
  const { raw, cacheFile } = catalogueInputs(options);
  if (cacheFile && existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
        catalogue: Catalogue;
        report: ImportReport;
      };
      return { ...cached, fromCache: true };
    } catch {
      // fall through and rebuild
    }
  }
  const layers: Layers = {};
  for (const [file, buf] of Object.entries(raw))
    layers[file] = JSON.parse(buf.toString('utf8')) as FeatureCollection;
  prepareDefaultLayers(layers);
  const imports = importDefaultLayers(layers);
  const catalogue = makeCatalogue(imports.flatMap((i) => i.zones));
  const report = mergeReports(imports.map((i) => i.report));
  if (cacheFile) {
    const cacheDir = dirname(cacheFile);
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ catalogue, report }));
    renameSync(tmp, cacheFile);
  }
  return { catalogue, report, fromCache: false };
}
