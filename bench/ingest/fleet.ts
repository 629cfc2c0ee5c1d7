/** The bench's fleet: trackers registered in Madre de Dios and their single-fix JSON messages. */
import { openDatabase } from '@app/db';
import { luhnCheckDigit } from '@app/registry';
import { loadPlaces, ZONES } from '../../simulator/src/places';

const DREDGE_SHARE = 0.05;
/** Device time between two reports of a tracker. */
export const EVERY_MS = 30_000;

export interface Device {
  readonly imei: string;
  readonly category: 'dredge' | 'excavator';
  readonly lat: number;
  readonly lon: number;
}

export interface Message {
  readonly imei: string;
  readonly time: number;
  readonly body: string;
}

export function imeiOf(i: number): string {
  const payload = `35${String(i).padStart(12, '0')}`;
  return payload + String(luhnCheckDigit(payload));
}

/** `count` trackers in Madre de Dios from number `first` on: one in twenty a dredge on the river, the others excavators at mining detections. */
export function devicesInMadreDeDios(first: number, count: number): Device[] {
  const places = loadPlaces();
  const river = places.lineVertices(ZONES.madreDeDios);
  const sites = places.miningSitesIn('MADRE DE DIOS');
  return Array.from({ length: count }, (_, n) => {
    const i = first + n;
    if (i % Math.round(1 / DREDGE_SHARE) === 0) {
      const v = river[(i * 7919) % river.length]!;
      return { imei: imeiOf(i), category: 'dredge', lat: v.lat, lon: v.lon };
    }
    const s = sites[(i * 104_729) % sites.length]!;
    return { imei: imeiOf(i), category: 'excavator', lat: s.lat, lon: s.lon };
  });
}

/** `fixes` single-fix messages per device: fix k of every device, then fix k + 1, as a broker sees a fleet reporting on a schedule. */
export function workload(devices: readonly Device[], fixes: number, t0: number): Message[] {
  const messages: Message[] = [];
  for (let k = 0; k < fixes; k++)
    for (const [i, d] of devices.entries()) {
      const time = t0 + k * EVERY_MS + (i % 1000);
      const jitter = ((i * 31 + k * 17) % 11) * 1e-6;
      messages.push({
        imei: d.imei,
        time,
        body: JSON.stringify({
          time: new Date(time).toISOString(),
          lat: d.lat + jitter,
          lon: d.lon - jitter,
          speed: 1.5,
          heading: 90,
          hdop: 0.9,
          satellites: 10,
          ignition: true,
        }),
      });
    }
  return messages;
}

export async function seedRegistry(databaseUrl: string, devices: readonly Device[]): Promise<void> {
  const database = await openDatabase({ databaseUrl, poolSize: 2 });
  const installedAt = new Date(Date.now() - 7 * 24 * 3_600_000);
  try {
    const db = database.db;
    const owner = await db
      .insertInto('owners')
      .values({
        kind: 'company',
        document_type: 'RUC',
        document_number: '20100047218',
        name: 'Bench Mining SAC',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < devices.length; i += 1000) {
      const chunk = devices.slice(i, i + 1000);
      const machines = await db
        .insertInto('machines')
        .values(
          chunk.map((d, j) => ({
            registry_number: `BENCH-2026-${String(i + j).padStart(7, '0')}`,
            category: d.category,
            make: 'Bench',
            model: 'B1',
            year: 2020,
            serial_number: `BENCH-${i + j}`,
            department: 'MADRE DE DIOS',
            status: 'active',
            owner_id: owner.id,
          })),
        )
        .returning('id')
        .execute();
      const trackers = await db
        .insertInto('trackers')
        .values(
          chunk.map((d) => ({
            imei: d.imei,
            model: 'FMB920',
            interval_moving_seconds: 30,
            interval_ignition_off_seconds: 300,
          })),
        )
        .returning('id')
        .execute();
      await db
        .insertInto('tracker_bindings')
        .values(
          // Installed a week before the run: the workload's fixes, dated hours back, are the trackers' own.
          chunk.map((_, j) => ({
            tracker_id: trackers[j]!.id,
            machine_id: machines[j]!.id,
            bound_at: installedAt,
          })),
        )
        .execute();
    }
  } finally {
    await database.close();
  }
}
