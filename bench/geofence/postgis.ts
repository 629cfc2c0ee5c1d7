import { Client } from 'pg';
import type { Zone } from '@app/geofence';

export interface PostgisVariant {
  name: string;
  /** Best of the timed runs, whole batch join. */
  joinMs: number;
  matches: number;
}

export interface PostgisResult {
  loadMs: number;
  variants: PostgisVariant[];
}

/**
 * PostGIS batch join, the way a database-centred design would do it: polygons cut with
 * ST_Subdivide(geom, 128) under a GiST index, tested with ST_Intersects (boundary included);
 * river lines as geography with ST_DWithin (spheroid) against their buffer.
 */
export async function runPostgis(url: string, zones: readonly Zone[], lat: Float64Array, lon: Float64Array, runs: number): Promise<PostgisResult | string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
    } catch (err) {
      return `CREATE EXTENSION postgis failed: ${(err as Error).message}`;
    }
    const t0 = Date.now();
    await client.query('DROP SCHEMA IF EXISTS geofence_bench CASCADE');
    await client.query('CREATE SCHEMA geofence_bench');
    await client.query('CREATE TABLE geofence_bench.zone (zid int PRIMARY KEY, geom geometry(Geometry, 4326), buffer_m float8)');
    for (let i = 0; i < zones.length; i += 50) {
      const chunk = zones.slice(i, i + 50);
      const values: string[] = [];
      const params: unknown[] = [];
      chunk.forEach((z, k) => {
        params.push(i + k, JSON.stringify(z.geometry), z.bufferMeters ?? null);
        values.push(`($${3 * k + 1}, ST_SetSRID(ST_GeomFromGeoJSON($${3 * k + 2}), 4326), $${3 * k + 3})`);
      });
      await client.query(`INSERT INTO geofence_bench.zone VALUES ${values.join(',')}`, params);
    }
    await client.query(`CREATE TABLE geofence_bench.zline AS
      SELECT zid, buffer_m, (ST_Dump(ST_Segmentize(geom::geography, 1000)::geometry)).geom::geography AS geog
      FROM geofence_bench.zone WHERE buffer_m IS NOT NULL`);
    await client.query('CREATE INDEX ON geofence_bench.zline USING gist (geog)');
    await client.query('CREATE TABLE geofence_bench.pt (pid int PRIMARY KEY, geom geometry(Point, 4326), geog geography(Point, 4326))');
    for (let i = 0; i < lat.length; i += 5000) {
      const lons: number[] = [];
      const lats: number[] = [];
      for (let k = i; k < Math.min(lat.length, i + 5000); k++) {
        lons.push(lon[k] as number);
        lats.push(lat[k] as number);
      }
      await client.query(
        `INSERT INTO geofence_bench.pt
         SELECT $1::int + o - 1, ST_SetSRID(ST_MakePoint(x, y), 4326), ST_SetSRID(ST_MakePoint(x, y), 4326)::geography
         FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS u(x, y, o)`,
        [i, lons, lats],
      );
    }
    await client.query('CREATE INDEX ON geofence_bench.pt USING gist (geom)');
    await client.query('CREATE INDEX ON geofence_bench.pt USING gist (geog)');
    await client.query('ANALYZE geofence_bench.zline; ANALYZE geofence_bench.pt');
    const loadMs = Date.now() - t0;
    const sql = `SELECT count(*)::int AS n FROM (
        SELECT DISTINCT p.pid, z.zid FROM geofence_bench.pt p JOIN geofence_bench.zpoly z ON ST_Intersects(z.geom, p.geom)
        UNION ALL
        SELECT DISTINCT p.pid, l.zid FROM geofence_bench.pt p JOIN geofence_bench.zline l ON ST_DWithin(l.geog, p.geog, l.buffer_m)
      ) m`;
    const variants: PostgisVariant[] = [];
    for (const maxVertices of [32, 128, 512]) {
      await client.query('DROP TABLE IF EXISTS geofence_bench.zpoly');
      await client.query(`CREATE TABLE geofence_bench.zpoly AS
        SELECT zid, ST_Subdivide(geom, ${maxVertices}) AS geom FROM geofence_bench.zone WHERE buffer_m IS NULL`);
      await client.query('CREATE INDEX ON geofence_bench.zpoly USING gist (geom)');
      await client.query('ANALYZE geofence_bench.zpoly');
      for (const parallel of [false, true]) {
        await client.query(parallel ? 'RESET max_parallel_workers_per_gather' : 'SET max_parallel_workers_per_gather = 0');
        let best = Infinity;
        let matches = 0;
        for (let r = 0; r < runs; r++) {
          const t = process.hrtime.bigint();
          const res = await client.query<{ n: number }>(sql);
          best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
          matches = res.rows[0]?.n ?? 0;
        }
        variants.push({ name: `ST_Subdivide ${maxVertices}, ${parallel ? 'parallel workers allowed' : 'one process'}`, joinMs: best, matches });
      }
    }
    await client.query('DROP SCHEMA geofence_bench CASCADE');
    return { loadMs, variants };
  } finally {
    await client.end();
  }
}
