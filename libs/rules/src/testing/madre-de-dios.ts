import { readFileSync } from 'fs';
import { join } from 'path';
import type { Feature, FeatureCollection } from 'geojson';
import {
  buildIndex,
  defaultDataDir,
  DEFAULT_LAYERS,
  importLayer,
  makeCatalogue,
  type Zone,
} from '@app/geofence';
import { GeofenceZoneLookup } from '../geofence-lookup';

function layer(file: string, keep: (f: Feature) => boolean): { fc: FeatureCollection; zones: Zone[] } {
  const fc = JSON.parse(readFileSync(join(defaultDataDir(), file), 'utf8')) as FeatureCollection;
  const mapping = DEFAULT_LAYERS.find((l) => l.file === file)?.mapping;
  if (!mapping) throw new Error(`${file} is not a default layer`);
  const kept: FeatureCollection = { type: 'FeatureCollection', features: fc.features.filter(keep) };
  for (const f of kept.features)
    f.properties = { legal_fallback: 'Reserva Nacional (SINANPE)', ...f.properties };
  return { fc: kept, zones: importLayer(kept, mapping).zones };
}

/**
 * The real zones of the default catalogue that the Madre de Dios scenarios need, imported with the
 * default layer mappings from `data/peru/`: the Madre de Dios and Tambopata rivers, Reserva Nacional
 * Tambopata, the gold-mining corridor and the department.
 */
export function madreDeDiosLookup(): GeofenceZoneLookup {
  const prop = (f: Feature, k: string): unknown => f.properties?.[k];
  const zones = [
    ...layer('rivers-madre-de-dios.geojson', (f) => ['madre', 'tambopata'].includes(String(prop(f, 'id'))))
      .zones,
    ...layer('protected-areas-sernanp.geojson', (f) => prop(f, 'source_file') === 'anp/rn_tambopata.gpkg')
      .zones,
    ...layer('mining-corridor-madre-de-dios.geojson', () => true).zones,
    ...layer('departments.geojson', (f) => prop(f, 'NOMBDEP') === 'MADRE DE DIOS').zones,
  ];
  return new GeofenceZoneLookup(buildIndex(makeCatalogue(zones)));
}

/**
 * The zones along the Interoceanic highway between the Tambopata bridge and La Pampa: the Madre de Dios
 * zones above plus the buffer zone of Reserva Nacional Tambopata that the highway runs through.
 */
export function interoceanicLookup(): GeofenceZoneLookup {
  const prop = (f: Feature, k: string): unknown => f.properties?.[k];
  const zones = [
    ...layer('buffer-zone-tambopata-partial.geojson', () => true).zones,
    ...layer('protected-areas-sernanp.geojson', (f) => prop(f, 'source_file') === 'anp/rn_tambopata.gpkg')
      .zones,
    ...layer('mining-corridor-madre-de-dios.geojson', () => true).zones,
    ...layer('departments.geojson', (f) => prop(f, 'NOMBDEP') === 'MADRE DE DIOS').zones,
  ];
  return new GeofenceZoneLookup(buildIndex(makeCatalogue(zones)));
}
