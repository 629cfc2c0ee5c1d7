import type { Position } from 'geojson';
import { metresPerDegree, segmentDistanceSq } from '../geometry/ellipsoid';
import { slug } from './slug';

/** A named centerline of another layer, the second source a piece's name is checked against. */
export interface ReferenceLine {
  layer: string;
  name: string;
  zoneId?: string;
  lines: Position[][];
}

/** One piece (one LineString) of a feature of the layer being checked, with the name the feature was published under. */
export interface CheckedPiece {
  feature: number;
  piece: number;
  name: string;
  coords: Position[];
}

export interface NameCheckParams {
  /**
   * How far from a reference centerline a point of a piece still counts as following it. Natural Earth 10m
   * centerlines are generalised: half of the regional layer's Madre de Dios lies more than 1.7 km from Natural
   * Earth's, 78 % within 3 km (see docs/geofence.md).
   */
  corridorMeters: number;
  /** Share of a piece's length within the corridor for the piece to follow a centerline. */
  followShare: number;
  /** Share above which a contradiction backed by both sources is corrected rather than shown as unverified. */
  correctShare: number;
  /**
   * A piece that meets (an end within `touchMeters` of the other's line) a piece of the same feature contradicted by
   * a name, and lies for at least `followShare` of its length within `continuityCorridorMeters` of that name's
   * centerline, is unverified too: a river does not change its name in mid-channel. The wider corridor covers the
   * meanders a generalised centerline cuts across (95 % of the regional Madre de Dios lies within 5.3 km of Natural
   * Earth's); it applies only next to a contradiction of the same feature, so a tributary of another feature near
   * its mouth is not touched.
   */
  continuityCorridorMeters: number;
  touchMeters: number;
  /** Spacing of the points sampled along each piece. */
  sampleMeters: number;
}

export const DEFAULT_NAME_CHECK: NameCheckParams = {
  corridorMeters: 3000,
  followShare: 0.5,
  correctShare: 0.75,
  continuityCorridorMeters: 6000,
  touchMeters: 500,
  sampleMeters: 100,
};

export type PieceVerdict =
  /** No reference centerline follows the piece: nothing to check against. */
  | { status: 'unchecked'; lengthMeters: number }
  | { status: 'confirmed'; lengthMeters: number; reference: ReferenceLine; share: number }
  | {
      status: 'corrected' | 'unverified';
      lengthMeters: number;
      /** The centerline of another name the piece follows most. */
      reference: ReferenceLine;
      /** Share of the piece's length along it. */
      share: number;
      /** Share along a centerline of the piece's own name. */
      ownShare: number;
      /** Whether the layer's own feature of the reference's name follows the same stretch of the centerline. */
      corroborated: boolean;
      /** Every other name followed by at least `followShare`, best first. */
      others: { name: string; share: number }[];
      /** Set when the piece is unverified by continuity: the contradicted piece (index in the input) it meets. */
      continues?: number;
    };

/** River names compared without accents, case, and a leading "Río"/"River" ("Río Madre de Dios" = "Madre de Dios"). */
export function riverKey(name: string): string {
  return slug(name).replace(/^(rio|river|r)-/, '');
}

interface PreparedReference {
  ref: ReferenceLine;
  key: string;
  /** Segments as flat arrays with the arc length at their start. */
  ax: number[];
  ay: number[];
  bx: number[];
  by: number[];
  start: number[];
  box: [number, number, number, number];
  /** Arc-length range of the centerline followed by the checked layer's own feature of this name; null if none. */
  stretch: [number, number] | null;
}

interface Sample {
  x: number;
  y: number;
  w: number;
}

function sampleLine(coords: Position[], step: number): { samples: Sample[]; length: number } {
  const samples: Sample[] = [];
  let length = 0;
  for (let i = 0; i + 1 < coords.length; i++) {
    const ax = (coords[i] as Position)[0] as number;
    const ay = (coords[i] as Position)[1] as number;
    const bx = (coords[i + 1] as Position)[0] as number;
    const by = (coords[i + 1] as Position)[1] as number;
    const { kx, ky } = metresPerDegree((ay + by) / 2);
    const d = Math.hypot((bx - ax) * kx, (by - ay) * ky);
    if (d === 0) continue;
    length += d;
    const n = Math.max(1, Math.ceil(d / step));
    for (let k = 0; k < n; k++) {
      const t = (k + 0.5) / n;
      samples.push({ x: ax + (bx - ax) * t, y: ay + (by - ay) * t, w: d / n });
    }
  }
  return { samples, length };
}

function prepare(ref: ReferenceLine): PreparedReference {
  const p: PreparedReference = {
    ref,
    key: riverKey(ref.name),
    ax: [],
    ay: [],
    bx: [],
    by: [],
    start: [],
    box: [Infinity, Infinity, -Infinity, -Infinity],
    stretch: null,
  };
  let arc = 0;
  for (const line of ref.lines) {
    for (let i = 0; i + 1 < line.length; i++) {
      const ax = (line[i] as Position)[0] as number;
      const ay = (line[i] as Position)[1] as number;
      const bx = (line[i + 1] as Position)[0] as number;
      const by = (line[i + 1] as Position)[1] as number;
      p.ax.push(ax);
      p.ay.push(ay);
      p.bx.push(bx);
      p.by.push(by);
      p.start.push(arc);
      const { kx, ky } = metresPerDegree((ay + by) / 2);
      arc += Math.hypot((bx - ax) * kx, (by - ay) * ky);
      p.box = [
        Math.min(p.box[0], ax, bx),
        Math.min(p.box[1], ay, by),
        Math.max(p.box[2], ax, bx),
        Math.max(p.box[3], ay, by),
      ];
    }
  }
  return p;
}

interface Hit {
  /** Arc length along the centerline of its nearest point. */
  t: number;
  /** Distance to that point in metres. */
  d: number;
}

/** Nearest point of the centerline within `corridor` metres of (x, y), or null. */
function along(r: PreparedReference, x: number, y: number, corridor: number): Hit | null {
  const { kx, ky } = metresPerDegree(y);
  const mx = corridor / kx;
  const my = corridor / ky;
  if (x < r.box[0] - mx || x > r.box[2] + mx || y < r.box[1] - my || y > r.box[3] + my) return null;
  let best = corridor * corridor;
  let at: Hit | null = null;
  for (let i = 0; i < r.ax.length; i++) {
    const ax = r.ax[i] as number;
    const ay = r.ay[i] as number;
    const bx = r.bx[i] as number;
    const by = r.by[i] as number;
    if ((ax < x - mx && bx < x - mx) || (ax > x + mx && bx > x + mx)) continue;
    if ((ay < y - my && by < y - my) || (ay > y + my && by > y + my)) continue;
    const d = segmentDistanceSq(x, y, ax, ay, bx, by, kx, ky);
    if (d <= best) {
      best = d;
      const dx = (bx - ax) * kx;
      const dy = (by - ay) * ky;
      const len2 = dx * dx + dy * dy;
      const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * kx * dx + (y - ay) * ky * dy) / len2)) : 0;
      at = { t: (r.start[i] as number) + t * Math.sqrt(len2), d: Math.sqrt(d) };
    }
  }
  return at;
}

/**
 * Checks the name of every piece against the reference centerlines of other layers.
 *
 * A piece follows a centerline when at least `followShare` of its length lies within `corridorMeters` of it. A
 * centerline counts only along the stretch where the checked layer's own feature of the same name follows it too,
 * when the layer has one: Natural Earth names a river system after its main stem and follows it past the confluence
 * where the regional layer's river of that name ends (its "Madre de Dios" goes on up the Manu), so beyond that
 * stretch its name says nothing about which river a piece is. Without a feature of that name in the layer the whole
 * centerline counts, but it is a single generalised source: a contradiction can then only be shown as unverified.
 *
 * Verdicts: confirmed (a centerline of the piece's own name is followed at least as much as any other), corrected
 * (one other name only, followed by at least `correctShare`, within the stretch the layer's own feature of that name
 * follows: both sources say the same), unverified (any other contradiction), unchecked (no centerline followed).
 */
export function checkLineNames(
  pieces: readonly CheckedPiece[],
  references: readonly ReferenceLine[],
  params: Partial<NameCheckParams> = {},
): PieceVerdict[] {
  const p = { ...DEFAULT_NAME_CHECK, ...params };
  const refs = references.filter((r) => r.lines.some((l) => l.length >= 2)).map(prepare);
  const sampled = pieces.map((piece) => sampleLine(piece.coords, p.sampleMeters));
  // hits[piece][ref][sample]: the nearest centerline point within the wider of the two corridors, or null.
  const reach = Math.max(p.corridorMeters, p.continuityCorridorMeters);
  const hits = sampled.map(({ samples }) => refs.map((r) => samples.map((s) => along(r, s.x, s.y, reach))));

  for (const [ri, r] of refs.entries()) {
    let lo = Infinity;
    let hi = -Infinity;
    pieces.forEach((piece, pi) => {
      if (riverKey(piece.name) !== r.key) return;
      for (const hit of hits[pi]?.[ri] ?? []) {
        if (!hit || hit.d > p.corridorMeters) continue;
        lo = Math.min(lo, hit.t);
        hi = Math.max(hi, hit.t);
      }
    });
    if (lo <= hi) r.stretch = [lo, hi];
  }

  /** Per name, the length of the piece within `corridor` of any of its centerlines (within their stretch). */
  const follows = (pi: number, corridor: number): Map<string, Follow> => {
    const piece = pieces[pi] as CheckedPiece;
    const own = riverKey(piece.name);
    const { samples } = sampled[pi] as { samples: Sample[] };
    const byName = new Map<string, Follow>();
    for (const [ri, r] of refs.entries()) {
      const row = hits[pi]?.[ri] as (Hit | null)[];
      let covered = 0;
      samples.forEach((s, si) => {
        const hit = row[si];
        if (!hit || hit.d > corridor) return;
        if (r.key !== own && r.stretch && (hit.t < r.stretch[0] || hit.t > r.stretch[1])) return;
        covered += s.w;
      });
      if (covered === 0) continue;
      const entry = byName.get(r.key);
      if (!entry) byName.set(r.key, { covered, best: r, bestCovered: covered });
      else {
        entry.covered = Math.max(entry.covered, covered);
        if (covered > entry.bestCovered) {
          entry.best = r;
          entry.bestCovered = covered;
        }
      }
    }
    return byName;
  };

  const verdicts = pieces.map((piece, pi): PieceVerdict => {
    const { length } = sampled[pi] as { length: number };
    if (length === 0) return { status: 'unchecked', lengthMeters: 0 };
    const own = riverKey(piece.name);
    const byName = follows(pi, p.corridorMeters);
    const ownEntry = byName.get(own);
    const ownShare = ownEntry ? Math.min(1, ownEntry.covered / length) : 0;
    const others = [...byName.entries()]
      .filter(([key, e]) => key !== own && e.covered / length >= p.followShare)
      .map(([, e]) => ({ entry: e, share: Math.min(1, e.covered / length) }))
      .sort((a, b) => b.share - a.share);
    const top = others[0];
    if (!top || ownShare >= top.share) {
      if (ownEntry && ownShare >= p.followShare) {
        return { status: 'confirmed', lengthMeters: length, reference: ownEntry.best.ref, share: ownShare };
      }
      return { status: 'unchecked', lengthMeters: length };
    }
    const corroborated = top.entry.best.stretch !== null;
    const corrected = others.length === 1 && top.share >= p.correctShare && corroborated;
    return {
      status: corrected ? 'corrected' : 'unverified',
      lengthMeters: length,
      reference: top.entry.best.ref,
      share: top.share,
      ownShare,
      corroborated,
      others: others.map((o) => ({ name: o.entry.best.ref.name, share: o.share })),
    };
  });

  // Continuity: spread contradictions to meeting pieces of the same feature along the same centerline.
  // Pieces meet when an end of one lies within `touchMeters` of a vertex of the other (junctions are often T-shaped).
  const endMeets = (a: CheckedPiece, b: CheckedPiece): boolean =>
    [a.coords[0], a.coords[a.coords.length - 1]].some((e) =>
      b.coords.some((v) => distance(e as Position, v) <= p.touchMeters),
    );
  const meets = (a: number, b: number): boolean =>
    endMeets(pieces[a] as CheckedPiece, pieces[b] as CheckedPiece) ||
    endMeets(pieces[b] as CheckedPiece, pieces[a] as CheckedPiece);
  const wide = new Map<number, Map<string, Follow>>();
  for (let changed = true; changed;) {
    changed = false;
    pieces.forEach((piece, pi) => {
      const verdict = verdicts[pi] as PieceVerdict;
      if (verdict.status !== 'unchecked' || verdict.lengthMeters === 0) return;
      for (const [qi, other] of pieces.entries()) {
        const q = verdicts[qi] as PieceVerdict;
        if (other.feature !== piece.feature || (q.status !== 'corrected' && q.status !== 'unverified'))
          continue;
        if (!meets(pi, qi)) continue;
        if (!wide.has(pi)) wide.set(pi, follows(pi, p.continuityCorridorMeters));
        const byName = wide.get(pi) as Map<string, Follow>;
        const follow = byName.get(riverKey(q.reference.name));
        const share = follow ? Math.min(1, follow.covered / verdict.lengthMeters) : 0;
        const own = byName.get(riverKey(piece.name));
        const ownShare = own ? Math.min(1, own.covered / verdict.lengthMeters) : 0;
        if (!follow || share < p.followShare || share <= ownShare) continue;
        verdicts[pi] = {
          status: 'unverified',
          lengthMeters: verdict.lengthMeters,
          reference: follow.best.ref,
          share,
          ownShare,
          corroborated: follow.best.stretch !== null,
          others: [{ name: follow.best.ref.name, share }],
          continues: qi,
        };
        changed = true;
        return;
      }
    });
  }
  return verdicts;
}

interface Follow {
  covered: number;
  best: PreparedReference;
  bestCovered: number;
}

function distance(a: Position, b: Position): number {
  const { kx, ky } = metresPerDegree(((a[1] as number) + (b[1] as number)) / 2);
  return Math.hypot(((a[0] as number) - (b[0] as number)) * kx, ((a[1] as number) - (b[1] as number)) * ky);
}
