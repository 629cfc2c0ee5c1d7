import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import type { TestApi } from './api';
import { createMachine, createOwner, createTracker } from './factories';

export interface EnrolledDevice {
  readonly imei: string;
  readonly password: string;
  readonly trackerId: string;
  readonly machineId: string;
}

/** How long before now `enrolDevice`'s trackers count as bound: fixes of the days before are theirs. */
export const INSTALLED_AGO_MS = 30 * 24 * 3_600_000;

/**
 * A machine with a bound tracker and issued credentials, enrolled through the API as a clerk would. The binding is
 * dated `installedAgoMs` before now, as for a tracker installed then (fixes timed before it are not trusted).
 */
export async function enrolDevice(
  api: TestApi,
  category = 'excavator',
  machineFields: object = {},
  installedAgoMs = INSTALLED_AGO_MS,
): Promise<EnrolledDevice> {
  const owner = await createOwner(api);
  const machine = await createMachine(api, owner.id, { category, ...machineFields });
  const tracker = await createTracker(api);
  const bound = await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id });
  if (bound.status !== 201) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.body)}`);
  const issued = await api.post(`/v1/trackers/${tracker.id}/credentials`);
  if (issued.status !== 201) throw new Error(`credentials: ${issued.status} ${JSON.stringify(issued.body)}`);
  if (installedAgoMs > 0)
    await api.database.db
      .updateTable('tracker_bindings')
      .set({ bound_at: new Date(Date.now() - installedAgoMs) })
      .where('tracker_id', '=', tracker.id)
      .where('unbound_at', 'is', null)
      .execute();
  return {
    imei: tracker.imei,
    password: issued.body.password as string,
    trackerId: tracker.id,
    machineId: machine.id,
  };
}

/** Connects like tracker firmware: client id = username = IMEI, MQTT 3.1.1 unless told otherwise. */
export function connectDevice(
  url: string,
  imei: string,
  password: string,
  options: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: imei,
    username: imei,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}

/** Resolves with the CONNACK refusal message, or fails if the broker accepted the connection. */
export async function connectionRefusal(
  url: string,
  imei: string,
  password: string,
  options: IClientOptions = {},
): Promise<string> {
  try {
    const client = await connectDevice(url, imei, password, options);
    await client.endAsync();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`the broker accepted ${imei}`);
}

/** Waits until the client is closed by the broker. */
export function closedByBroker(client: MqttClient, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.disconnected || !client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('the broker did not close the connection')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function nextMessage(
  client: MqttClient,
  topic: string,
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing on ${topic}`)), timeoutMs);
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
    };
    client.on('message', onMessage);
  });
}

export function fix(time: string, lat: number, lon: number, extra: Record<string, unknown> = {}) {
  return { time, lat, lon, speed: 3, heading: 90, hdop: 0.9, satellites: 11, ignition: true, ...extra };
}

/** The fixes stored for a tracker, in event-time order. */
export function storedPositions(api: TestApi, imei: string) {
  return api.database.db
    .selectFrom('positions')
    .selectAll()
    .where('imei', '=', imei)
    .orderBy('fix_time')
    .execute();
}
