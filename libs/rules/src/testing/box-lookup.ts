import type { ZoneHit, ZoneLookup } from '../model';

export interface BoxZone extends ZoneHit {
  /** [minLon, minLat, maxLon, maxLat], boundary included. */
  box: readonly [number, number, number, number];
}

/** A zone lookup over axis-aligned boxes, for tests of the rules without geodata. */
export class BoxLookup implements ZoneLookup {
  lookups = 0;
  private readonly byId: Map<string, ZoneHit>;
  private readonly hits: ZoneHit[];

  constructor(
    private readonly boxes: readonly BoxZone[],
    readonly catalogueVersion = 'test-catalogue-1',
  ) {
    this.hits = boxes.map(({ box: _box, ...hit }) => hit);
    this.byId = new Map(this.hits.map((h) => [h.id, h]));
  }

  zonesAt(lat: number, lon: number): readonly ZoneHit[] {
    this.lookups++;
    const out: ZoneHit[] = [];
    this.boxes.forEach((b, i) => {
      const [x0, y0, x1, y1] = b.box;
      if (lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1) out.push(this.hits[i] as ZoneHit);
    });
    return out;
  }

  zone(id: string): ZoneHit | undefined {
    return this.byId.get(id);
  }
}

/** Metres to degrees of latitude (close enough for synthetic tracks). */
export const METRE = 1 / 111_320;
