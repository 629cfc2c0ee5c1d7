import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const root = resolve(__dirname, '../../..');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', join(root, 'apps/geofence-cli/src/main.ts'), ...args],
      { cwd: root },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('geofence CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geofence-cli-'));
  const zones = join(dir, 'zones.geojson');
  writeFileSync(
    zones,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: 'sq',
          properties: {},
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
                [0, 0],
              ],
            ],
          },
        },
      ],
    }),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes NDJSON to --out', async () => {
    const points = join(dir, 'points.csv');
    const out = join(dir, 'out.ndjson');
    writeFileSync(points, 'id,lon,lat\np1,0.5,0.5\np2,5,5\n');
    const r = await run(['check', '--zones', zones, '--points', points, '--out', out, '--no-cache']);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('{"id":"p1","zones":["sq"]}\n{"id":"p2","zones":[]}\n');
  });

  it('exits non-zero naming the bad line', async () => {
    const points = join(dir, 'bad.csv');
    writeFileSync(points, 'id,lon,lat\np1,0.5,0.5\np2,5\n');
    const r = await run(['check', '--zones', zones, '--points', points, '--no-cache']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('line 3: expected 3 fields');
  });

  it('exits non-zero naming the bad feature', async () => {
    const bad = join(dir, 'bad.geojson');
    writeFileSync(
      bad,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            id: 'g',
            properties: {},
            geometry: { type: 'GeometryCollection', geometries: [] },
          },
        ],
      }),
    );
    const points = join(dir, 'points.csv');
    const r = await run(['check', '--zones', bad, '--points', points, '--no-cache']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'feature 1 (features[0]) id "g": unsupported geometry type GeometryCollection',
    );
  });
});
