declare module 'which-polygon' {
  import type { FeatureCollection, GeoJsonProperties } from 'geojson';
  type Query = (p: [number, number], multi?: boolean) => GeoJsonProperties | GeoJsonProperties[] | null;
  function whichPolygon(data: FeatureCollection): Query;
  export = whichPolygon;
}
