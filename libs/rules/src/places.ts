import { segmentMeters } from './crossing';

/** A populated place, to say where a machine is when its verdict is about a whole department. */
export interface Place {
  name: string;
  district?: string;
  province?: string;
  department: string;
  lat: number;
  lon: number;
}

/** INEI UBIGEO names of Madre de Dios' provinces and districts (the codes of the populated-places layer). */
const MADRE_DE_DIOS_UBIGEO: Record<string, string> = {
  '1701': 'Tambopata',
  '1702': 'Manu',
  '1703': 'Tahuamanu',
  '170101': 'Tambopata',
  '170102': 'Inambari',
  '170103': 'Las Piedras',
  '170104': 'Laberinto',
  '170201': 'Manu',
  '170202': 'Fitzcarrald',
  '170203': 'Madre de Dios',
  '170204': 'Huepetuhe',
  '170301': 'Iñapari',
  '170302': 'Iberia',
  '170303': 'Tahuamanu',
};

interface PlaceFeature {
  properties?: Record<string, unknown> | null;
  geometry?: { type: string; coordinates?: unknown } | null;
}

/** The places of `data/peru/populated-places-madre-de-dios.geojson` (`nombre`, `ubigeo_distrito`, `ubigeo_provincia`). */
export function populatedPlaces(collection: { features: readonly PlaceFeature[] }): Place[] {
  const places: Place[] = [];
  for (const feature of collection.features) {
    const name = feature.properties?.['nombre'];
    const coordinates = feature.geometry?.type === 'Point' ? feature.geometry.coordinates : undefined;
    if (typeof name !== 'string' || !Array.isArray(coordinates)) continue;
    const [lon, lat] = coordinates as number[];
    if (typeof lat !== 'number' || typeof lon !== 'number') continue;
    const district = MADRE_DE_DIOS_UBIGEO[String(feature.properties?.['ubigeo_distrito'] ?? '')];
    const province = MADRE_DE_DIOS_UBIGEO[String(feature.properties?.['ubigeo_provincia'] ?? '')];
    places.push({
      name,
      department: 'MADRE DE DIOS',
      lat,
      lon,
      ...(district ? { district } : {}),
      ...(province ? { province } : {}),
    });
  }
  return places;
}

/** Nearest populated place, within `maxKm`. */
export class Gazetteer {
  constructor(
    private readonly places: readonly Place[],
    private readonly maxKm = 50,
  ) {}

  nearest(lat: number, lon: number, department?: string): { place: Place; km: number } | undefined {
    let best: { place: Place; km: number } | undefined;
    for (const place of this.places) {
      if (department !== undefined && place.department !== department) continue;
      const km = segmentMeters({ t: 0, lat, lon }, { t: 0, lat: place.lat, lon: place.lon }) / 1000;
      if (km <= this.maxKm && (!best || km < best.km)) best = { place, km };
    }
    return best;
  }

  /**
   * Where the machine is, in Spanish: `a 3,2 km de Laberinto (distrito de Laberinto, provincia de Tambopata),
   * MADRE DE DIOS`; the department alone when no place is near.
   */
  describe(lat: number, lon: number, department: string): string {
    const near = this.nearest(lat, lon, department);
    if (!near) return department;
    const { place, km } = near;
    const where = [
      place.district ? `distrito de ${place.district}` : undefined,
      place.province ? `provincia de ${place.province}` : undefined,
    ].filter((part): part is string => part !== undefined);
    const distance = km < 1 ? 'en' : `a ${km.toFixed(1).replace('.', ',')} km de`;
    return `${distance} ${place.name}${where.length > 0 ? ` (${where.join(', ')})` : ''}, ${department}`;
  }
}
