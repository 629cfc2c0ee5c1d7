import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '@app/geofence';
import { Gazetteer, populatedPlaces } from './places';

describe(Gazetteer.name, () => {
  const places = populatedPlaces(
    JSON.parse(readFileSync(join(defaultDataDir(), 'populated-places-madre-de-dios.geojson'), 'utf8')),
  );
  const sut = new Gazetteer(places);

  it('names the nearest populated place with its district and province, not the department alone', () => {
    expect(places.length).toBeGreaterThan(100);
    expect(sut.describe(-12.63, -70.39, 'MADRE DE DIOS')).toBe(
      'a 1,4 km de Boca Colorado (distrito de Madre de Dios, provincia de Manu), MADRE DE DIOS',
    );
    expect(sut.describe(-12.5975, -69.1877, 'MADRE DE DIOS')).toBe(
      'en Puerto Maldonado (distrito de Tambopata, provincia de Tambopata), MADRE DE DIOS',
    );
  });

  it('falls back to the department far from any place or in another department', () => {
    expect(sut.describe(-5, -75, 'LORETO')).toBe('LORETO');
  });
});
