import mqtt, { MqttClient } from 'mqtt';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { TestApi, startTestApi } from '../support/api';
import { RunningMosquitto, startMosquitto } from '../support/mosquitto';
import { FAST_DISPATCH, enrolMachine, openViolation } from './support';

// Runs where the real services are configured (jest.config.js; CI sets MQTT_URL): a Mosquitto of the suite's
// own with dynamic security, where the registry provisions each agency's client and role.
describe('agencies’ alerts on Mosquitto with dynamic security', () => {
  let mosquitto: RunningMosquitto;
  let api: TestApi;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    api = await startTestApi(
      process.env['DATABASE_URL'] ? 'postgres' : 'embedded',
      {
        ...FAST_DISPATCH,
        MQTT_URL: mosquitto.url,
        MQTT_USERNAME: mosquitto.adminUsername,
        MQTT_PASSWORD: mosquitto.adminPassword,
        BROKER_KIND: 'mosquitto',
      },
      [DispatcherModule],
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await api.close();
    await mosquitto.stop();
  });

  const connect = async (username: string, password: string) => {
    const client = await mqtt.connectAsync(mosquitto.url, {
      clientId: `${username}:test`,
      username,
      password,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  };

  it('delivers an agency its alerts on its own topic, which only it can read', async () => {
    const agency = await api.post('/v1/agencies', {
      code: 'OEFA-MQTT',
      name: 'OEFA',
      kind: 'environmental_enforcement',
    });
    const other = await api.post('/v1/agencies', { code: 'ANA-MQTT', name: 'ANA', kind: 'water' });
    expect(
      (await api.post(`/v1/agencies/${agency.body.id}/subscriptions`, { departments: ['PASCO'] })).status,
    ).toBe(201);
    expect((await api.post(`/v1/agencies/${agency.body.id}/channels`, { kind: 'mqtt' })).status).toBe(201);
    const issued = await api.post(`/v1/agencies/${agency.body.id}/mqtt-credentials`);
    expect(issued.status).toBe(201);
    const otherIssued = await api.post(`/v1/agencies/${other.body.id}/mqtt-credentials`);

    const client = await connect(issued.body.username, issued.body.password);
    const granted = await client.subscribeAsync('agencies/OEFA-MQTT/alerts', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    const intruder = await connect(otherIssued.body.username, otherIssued.body.password);
    await expect(intruder.subscribeAsync('agencies/OEFA-MQTT/alerts', { qos: 1 })).rejects.toThrow();

    const received = new Promise<{ type: string; subject: string }>((resolve) =>
      client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString('utf8')))),
    );
    const violation = await openViolation(api, await enrolMachine(api, 'PASCO'));
    const event = await received;
    expect(event).toMatchObject({ type: 'violation.opened', subject: violation.id });

    expect((await api.delete(`/v1/agencies/${agency.body.id}/mqtt-credentials`)).status).toBe(204);
    await expect(connect(issued.body.username, issued.body.password)).rejects.toThrow();
  });
});
