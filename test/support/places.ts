import { loadPlaces, type Places } from '../../simulator/src/places';
import { fixtureCatalogue, geofenceFixturesDir } from './geofence-fixtures';

/**
 * The simulator's real places over the default catalogue built by the global setup. They are the simulator's own
 * places of this module registry, so its command line, run in the same suite, uses them too.
 */
export function fixturePlaces(): Places {
  fixtureCatalogue();
  return loadPlaces({ cacheDir: geofenceFixturesDir() });
}
