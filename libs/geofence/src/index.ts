export * from './model';
export { GeofenceIndex, insidePolygonRuns } from './index/geofence-index';
export {
  buildIndex,
  loadIndex,
  buildFlatIndexInWorker,
  indexCacheFile,
  registerIndexBuild,
  GeofenceEngine,
} from './index/load';
export type { LoadIndexOptions, LoadedIndex } from './index/load';
export { buildFlatIndex } from './index/build';
export { DEFAULT_INDEX_PARAMS, serializeIndex, deserializeIndex } from './index/flat-index';
export type { FlatIndex, IndexParams, IndexStats } from './index/flat-index';
export {
  importLayer,
  makeCatalogue,
  mergeReports,
  catalogueVersion,
  geometryProblem,
  parseLayerMapping,
  slug,
  referenceLines,
} from './catalogue/importer';
export type { LayerMapping, LayerImport, AttributeSource, ImportOptions } from './catalogue/importer';
export { checkLineNames, riverKey, DEFAULT_NAME_CHECK } from './catalogue/name-check';
export type { CheckedPiece, NameCheckParams, PieceVerdict, ReferenceLine } from './catalogue/name-check';
export {
  DEFAULT_LAYERS,
  loadDefaultCatalogue,
  defaultCatalogueCacheFile,
  defaultDataDir,
  defaultCacheDir,
} from './catalogue/default-catalogue';
export { loadDefaultCatalogueInBackground, prefetchDefaultCatalogue } from './catalogue/background';
export type { BackgroundCatalogueOptions } from './catalogue/background';
export type { DefaultLayer, DefaultCatalogueOptions, LoadedCatalogue } from './catalogue/default-catalogue';
export { metresPerDegree, pointSegmentDistance, pointSegmentDistanceFar } from './geometry/ellipsoid';
export { cellKey, keyAt, parseCell } from './h3/cell-key';
export {
  parsePointsCsv,
  zonesFromFeatureCollection,
  catalogueToFeatureCollection,
  runCheck,
  InputError,
} from './cli/check';
export type { CheckPoint, CheckOptions } from './cli/check';
export { readPointsCsv, writeCheckOutput, PointTable } from './cli/points-csv';
export { runInWorker, workerJob, WorkerTimeoutError } from './worker/run-in-worker';
export type { RunInWorkerOptions, WorkerJobMessage } from './worker/run-in-worker';
export { importLayerInWorker, vertexCount } from './catalogue/import-in-worker';
export type { LayerImportProgress } from './catalogue/import-in-worker';
