import * as http from 'node:http';
import mqtt, { MqttClient } from 'mqtt';
import { Store } from '@app/db';
import { verifyExport } from '@app/dispatch';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { IngestRuntime } from '../../apps/ingest/src/ingest.runtime';
import { TestApi, startTestApi } from '../support/api';
import { closedByBroker, connectDevice, enrolDevice, fix, storedPositions } from '../support/devices';
import { storageModes } from '../support/storage';
import {
  AgencySetup,
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  eventually,
  exportOf,
  openViolation,
  enrolMachine,
} from './support';
import { OFF_RIVER, ON_RIVER, TEST_RIVER, TEST_RIVER_MAPPING, minutes } from '../support/river';
import { testTime } from '../support/test-time';
import { importLayer } from '../support/zones';

function nextMessages(
  client: MqttClient,
  topic: string,
  count: number,
  timeoutMs = 20_000,
): Promise<string[]> {
  const received: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length} messages on ${topic}`)),
      timeoutMs,
    );
    client.on('message', (t, payload) => {
      if (t !== topic) return;
      received.push(payload.toString('utf8'));
      if (received.length === count) {
        clearTimeout(timer);
        resolve(received);
      }
    });
  });
}

describe.each(storageModes())('a dredge entering a river, from tracker to agency (%s storage)', (mode) => {
  let api: TestApi;
  let brokerUrl: string;
  let receiver: Receiver;
  let ana: AgencySetup;
  let mqttPassword: string;
  const clients: MqttClient[] = [];
  let violationId: string;
  let imei: string;

  beforeAll(async () => {
    api = await startTestApi(mode, { MQTT_EMBEDDED_PORT: '0', ...FAST_DISPATCH }, [
      IngestModule,
      DispatcherModule,
    ]);
    brokerUrl = api.app.get(IngestRuntime).brokerUrl!;
    expect((await importLayer(api, { mapping: TEST_RIVER_MAPPING, geojson: TEST_RIVER })).status).toBe(
      'succeeded',
    );
    receiver = await new Receiver().start();
    ana = await agencyWithWebhook(api, receiver, { zoneKinds: ['water_body'] }, 'water');
    expect((await api.post(`/v1/agencies/${ana.id}/channels`, { kind: 'mqtt' })).status).toBe(201);
    const credentials = await api.post(`/v1/agencies/${ana.id}/mqtt-credentials`);
    expect(credentials.status).toBe(201);
    expect(credentials.body).toMatchObject({
      username: `agency:${ana.code}`,
      topic: `agencies/${ana.code}/alerts`,
    });
    mqttPassword = credentials.body.password;
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await receiver.stop();
    await api.close();
  });

  const agencyClient = async (password = mqttPassword) => {
    const client = await mqtt.connectAsync(brokerUrl, {
      clientId: `agency:${ana.code}:console`,
      username: `agency:${ana.code}`,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: true,
    });
    clients.push(client);
    return client;
  };

  it('reaches the agency webhook and its MQTT topic, signed, and only its own topic', async () => {
    const agencySystem = await agencyClient();
    const own = await agencySystem.subscribeAsync(`agencies/${ana.code}/alerts`, { qos: 1 });
    expect(own.map((g) => g.qos)).toEqual([1]);
    // The broker refuses (SUBACK 0x80) another agency's topic and the devices' topics.
    await expect(agencySystem.subscribeAsync('agencies/OTHER/alerts', { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    await expect(agencySystem.subscribeAsync('devices/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(agencyClient('wrong-password')).rejects.toThrow(/Bad username or password/i);
    const alerts = nextMessages(agencySystem, `agencies/${ana.code}/alerts`, 2);

    const dredge = await enrolDevice(api, 'dredge');
    imei = dredge.imei;
    const device = await connectDevice(brokerUrl, dredge.imei, dredge.password);
    clients.push(device);
    const track = [
      ...minutes(testTime(20, '08:00:00'), 3, -12.8),
      ...minutes(testTime(20, '08:03:00'), 6, -12.8502),
      ...minutes(testTime(20, '08:09:00'), 5, -12.8),
    ];
    for (const point of track)
      await device.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify(point), { qos: 1 });

    // Deliveries are not ordered: wait for both, then read them in lifecycle order.
    const lifecycle = ['violation.opened', 'violation.closed'];
    const events = await eventually(() => {
      const mine = receiver
        .events()
        .filter((e) => (e.data as { imei?: string }).imei === dredge.imei && e.type.startsWith('violation.'));
      return lifecycle.every((type) => mine.some((e) => e.type === type))
        ? [...mine].sort((a, b) => lifecycle.indexOf(a.type) - lifecycle.indexOf(b.type))
        : undefined;
    }, 'the opened and closed events at the webhook');
    expect(events.map((e) => e.type)).toEqual(lifecycle);
    violationId = events[0]!.subject;
    expect(events[0]!.data).toMatchObject({
      machineId: dredge.machineId,
      department: 'MADRE DE DIOS',
      zone: { kind: 'water_body', name: 'Río de Prueba', legalBasis: expect.stringMatching(/1100/) },
    });
    expect(receiver.verifiedIds(ana.secret)).toEqual(new Set(events.map((e) => e.id)));
    const overMqtt = (await alerts).map((body) => JSON.parse(body) as { id: string; type: string });
    // Delivery is at least once and not ordered across channels: the same events, in any order.
    const byId = (a: string[], b: string[]) => (a[0] as string).localeCompare(b[0] as string);
    expect(overMqtt.map((e) => [e.id, e.type]).sort(byId)).toEqual(
      events.map((e) => [e.id, e.type]).sort(byId),
    );

    const dropped = closedByBroker(agencySystem);
    expect((await api.delete(`/v1/agencies/${ana.id}/mqtt-credentials`)).status).toBe(204);
    await dropped;
    await expect(agencyClient()).rejects.toThrow(/Bad username or password/i);
  });

  it('keeps the evidence: machine, owner, tracker, zone, raw positions and a chain that late fixes extend', async () => {
    const evidence = await api.get(`/v1/violations/${violationId}/evidence`);
    expect(evidence.status).toBe(200);
    expect(evidence.body).toMatchObject({
      violation: { id: violationId, status: 'closed', department: 'MADRE DE DIOS' },
      machine: { category: 'dredge', registryNumber: expect.stringMatching(/^MAQ-/) },
      owner: { documentType: 'RUC' },
      tracker: { imei },
      zone: {
        kind: 'water_body',
        legalBasis: expect.stringMatching(/1100/),
        catalogueVersion: expect.any(String),
      },
      chain: { valid: true },
    });
    const positions = evidence.body.positions as Array<{ fixTime: string; rawPayload: string; lat: number }>;
    expect(positions.length).toBeGreaterThanOrEqual(6);
    expect(positions.every((p) => JSON.parse(p.rawPayload).lat === p.lat)).toBe(true);
    expect(evidence.body.track.type).toBe('LineString');
    expect(evidence.body.track.coordinates).toHaveLength(positions.length);
    const before = evidence.body.chain.length as number;

    // A fix from the device's buffer, inside the violation's time window, arrives after the violation closed.
    const device = await connectDevice(brokerUrl, imei, (await freshPassword(api, imei)) ?? '');
    clients.push(device);
    await device.publishAsync(
      `devices/${imei}/fixes`,
      JSON.stringify(fix(testTime(20, '08:05:30'), -12.8502, -69.55, { speed: 2 })),
      { qos: 1 },
    );
    const after = await eventually(async () => {
      const verified = await api.get(`/v1/violations/${violationId}/evidence/verify`);
      return verified.body.length > before ? verified.body : undefined;
    }, 'the late fix sealed');
    expect(after).toMatchObject({ valid: true, problems: [] });
    const again = await api.get(`/v1/violations/${violationId}/evidence`);
    expect(again.body.positions.map((p: { fixTime: string }) => p.fixTime)).toContain(
      testTime(20, '08:05:30.000'),
    );
  });

  it('detects tampering with a stored fix, its raw message or a workflow step', async () => {
    const db = api.database.db;
    const verify = async () => (await api.get(`/v1/violations/${violationId}/evidence/verify`)).body;
    expect((await verify()).valid).toBe(true);
    const target = new Date(testTime(20, '08:04:00'));
    const original = await db
      .selectFrom('positions')
      .select(['lat', 'message_id'])
      .where('imei', '=', imei)
      .where('fix_time', '=', target)
      .executeTakeFirstOrThrow();

    await db
      .updateTable('positions')
      .set({ lat: original.lat + 0.001 })
      .where('imei', '=', imei)
      .where('fix_time', '=', target)
      .execute();
    expect(await verify()).toMatchObject({
      valid: false,
      problems: [{ ref: `position:${imei}@${testTime(20, '08:04:00.000')}`, problem: 'item_changed' }],
    });
    await db
      .updateTable('positions')
      .set({ lat: original.lat })
      .where('imei', '=', imei)
      .where('fix_time', '=', target)
      .execute();
    expect((await verify()).valid).toBe(true);

    const message = await db
      .selectFrom('device_messages')
      .select('payload')
      .where('id', '=', original.message_id)
      .executeTakeFirstOrThrow();
    const forged = Buffer.from(Buffer.from(message.payload).toString('utf8').replace('-12.8502', '-12.8000'));
    await db
      .updateTable('device_messages')
      .set({ payload: forged })
      .where('id', '=', original.message_id)
      .execute();
    expect((await verify()).problems.map((p: { problem: string }) => p.problem)).toContain('item_changed');
    await db
      .updateTable('device_messages')
      .set({ payload: Buffer.from(message.payload) })
      .where('id', '=', original.message_id)
      .execute();
    expect((await verify()).valid).toBe(true);

    expect(
      (
        await api.post(`/v1/violations/${violationId}/acknowledge`, {
          notes: 'Checked on the satellite image',
        })
      ).status,
    ).toBe(200);
    await db
      .updateTable('violation_steps')
      .set({ notes: 'Nothing to see' })
      .where('violation_id', '=', violationId)
      .execute();
    const tampered = await verify();
    expect(tampered.valid).toBe(false);
    expect(tampered.problems).toEqual([
      expect.objectContaining({ problem: 'item_changed', ref: expect.stringMatching(/^step:/) }),
    ]);
    await db
      .updateTable('violation_steps')
      .set({ notes: 'Checked on the satellite image' })
      .where('violation_id', '=', violationId)
      .execute();
    expect((await verify()).valid).toBe(true);
  });

  it('exports GeoJSON, KML and CSV, each signed and timestamped by the system', async () => {
    const key = (await api.get('/v1/evidence/signing-key')).body as {
      publicKey: string;
      keyId: string;
      algorithm: string;
    };
    expect(key.algorithm).toBe('Ed25519');
    for (const [format, type] of [
      ['geojson', 'application/geo+json'],
      ['kml', 'application/vnd.google-earth.kml+xml'],
      ['csv', 'text/csv'],
    ] as const) {
      const { body, contentType, signature } = await exportOf(api, violationId, format);
      expect(contentType).toContain(type);
      expect(signature.keyId).toBe(key.keyId);
      expect(Math.abs(Date.parse(signature.timestamp) - Date.now())).toBeLessThan(60_000);
      expect(verifyExport(body, signature, key.publicKey)).toBe(true);
      expect(verifyExport(Buffer.concat([body, Buffer.from(' ')]), signature, key.publicKey)).toBe(false);
      const text = body.toString('utf8');
      if (format === 'geojson') {
        const collection = JSON.parse(text);
        expect(collection.features[0].geometry.type).toBe('LineString');
        expect(collection.features[0].geometry.coordinates.length).toBeGreaterThanOrEqual(6);
      } else if (format === 'kml') {
        expect(text).toContain('<LineString><coordinates>');
        expect(text).toMatch(/<Data name="legalBasis"><value>[^<]*1100/);
      } else {
        expect(text.split('\r\n')[0]).toMatch(/^violation_id,zone_id,fix_time/);
        expect(text.split('\r\n').filter((l) => l.startsWith(violationId)).length).toBeGreaterThanOrEqual(6);
      }
    }
    const invalid = await api.get(`/v1/violations/${violationId}/export?format=pdf`);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toBe('format');
  });

  it('answers which machines were inside the river or a drawn polygon during a time range', async () => {
    const machineId = (await api.get(`/v1/violations/${violationId}`)).body.machineId;
    const range = { from: testTime(20, '07:00:00'), to: testTime(20, '10:00:00') };
    const zoneId = 'riverrio-de-prueba';
    const inRiver = await api.post('/v1/violations/area-query', { zoneId, ...range });
    expect(inRiver.status).toBe(200);
    expect(inRiver.body.machines).toEqual([expect.objectContaining({ machineId, imei, fixes: 7 })]);
    const square = (lat: number) => ({
      type: 'Polygon',
      coordinates: [
        [
          [-69.56, lat - 0.01],
          [-69.54, lat - 0.01],
          [-69.54, lat + 0.01],
          [-69.56, lat + 0.01],
          [-69.56, lat - 0.01],
        ],
      ],
    });
    const bank = await api.post('/v1/violations/area-query', { polygon: square(-12.8), ...range });
    expect(bank.body.machines).toEqual([expect.objectContaining({ machineId, fixes: 8 })]);
    expect(
      (await api.post('/v1/violations/area-query', { polygon: square(-13.5), ...range })).body.machines,
    ).toEqual([]);
    expect(
      (
        await api.post('/v1/violations/area-query', {
          polygon: square(-12.8),
          from: testTime(21, '00:00:00'),
          to: testTime(22, '00:00:00'),
        })
      ).body.machines,
    ).toEqual([]);
    const neither = await api.post('/v1/violations/area-query', range);
    expect(neither.status).toBe(400);
    expect(neither.body.errors).toEqual([{ field: 'zoneId', messages: ['give either zoneId or polygon'] }]);
    const open = await api.post('/v1/violations/area-query', {
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [1, 0],
          ],
        ],
      },
      ...range,
    });
    expect(open.body.errors[0].field).toBe('polygon');
  });

  it('streams alert events live to the console, filtered by the caller’s jurisdiction', async () => {
    const cusco = await agencyWithWebhook(api, receiver, { departments: ['CUSCO'] });
    const username = `cusco.officer.${mode}`;
    await api.post('/v1/users', {
      username,
      displayName: 'Officer',
      password: 'officer-password-123',
      role: 'enforcement_officer',
      agencyId: cusco.id,
    });
    const token = await api.login(username, 'officer-password-123');
    const stream = await openStream(api, token);
    try {
      // The feed reads the outbox from where it stood when it started: events of the officer's jurisdiction are
      // written until they come through, so what is written next is either streamed or filtered out.
      const written: string[] = [];
      let seen: string | undefined;
      while (seen === undefined) {
        written.push((await openViolation(api, await enrolMachine(api, 'CUSCO'))).id);
        seen = (await stream.next(3000).catch(() => undefined))?.data.violation.id;
      }
      while (seen !== written[written.length - 1]) seen = (await stream.next()).data.violation.id;
      const elsewhere = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'));
      const mine = await openViolation(api, await enrolMachine(api, 'CUSCO'));
      const first = await stream.next();
      expect(first.event).toBe('violation.opened');
      expect(first.data.violation.id).toBe(mine.id);
      expect(first.data.violation.id).not.toBe(elsewhere.id);
      // The next event is the next one written, not the first one again.
      const later = await openViolation(api, await enrolMachine(api, 'CUSCO'));
      expect((await stream.next()).data.violation.id).toBe(later.id);
    } finally {
      stream.close();
    }
  });

  it('shows, seals and exports every fix of an open violation stored so far, not only up to its last update', async () => {
    const dredge = await enrolDevice(api, 'dredge');
    const device = await connectDevice(brokerUrl, dredge.imei, dredge.password);
    clients.push(device);
    const track = [
      ...minutes(testTime(23, '08:00:00'), 3, OFF_RIVER),
      ...minutes(testTime(23, '08:03:00'), 12, ON_RIVER),
    ];
    for (const point of track)
      await device.publishAsync(`devices/${dredge.imei}/fixes`, JSON.stringify(point), { qos: 1 });
    const opened = await eventually(
      () =>
        receiver
          .events()
          .find((e) => e.type === 'violation.opened' && (e.data as { imei?: string }).imei === dredge.imei),
      'the opened event at the webhook',
    );
    const id = opened.subject;
    await eventually(
      async () => (await storedPositions(api, dredge.imei)).length === track.length,
      'every fix stored',
    );

    const evidence = await api.get(`/v1/violations/${id}/evidence`);
    expect(evidence.status).toBe(200);
    expect(evidence.body.violation.status).toBe('open');
    // The episode starts at the fix that began the confirming run; every fix since then is stored.
    const inRiver = track
      .map((p) => new Date(p.time).toISOString())
      .filter((time) => time >= evidence.body.violation.startedAt);
    expect(inRiver.length).toBeGreaterThanOrEqual(10);
    expect(evidence.body.violation.lastSeenAt).toBe(inRiver[inRiver.length - 1]);
    expect(evidence.body.positions.map((p: { fixTime: string }) => p.fixTime)).toEqual(inRiver);

    const sealed = await eventually(
      async () => {
        const verified = await api.get(`/v1/violations/${id}/evidence/verify`);
        return verified.body.length === 1 + inRiver.length ? verified.body : undefined;
      },
      'every fix sealed',
      30_000,
    );
    expect(sealed).toMatchObject({ valid: true, problems: [] });
    const links = await api.database.db
      .selectFrom('evidence_links')
      .select('ref')
      .where('violation_id', '=', id)
      .where('kind', '=', 'position')
      .orderBy('seq')
      .execute();
    expect(links.map((l) => l.ref)).toEqual(inRiver.map((t) => `position:${dredge.imei}@${t}`));

    const exported = async (format: string) =>
      (
        await api
          .http()
          .get(`/v1/violations/${id}/export?format=${format}`)
          .set('authorization', `Bearer ${api.adminToken}`)
          .buffer(true)
          .parse((res, done) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => done(null, Buffer.concat(chunks)));
          })
      ).body.toString('utf8') as string;
    const geojson = JSON.parse(await exported('geojson'));
    expect(geojson.features[0].geometry.coordinates).toHaveLength(inRiver.length);
    const csv = (await exported('csv')).split('\r\n').filter((l) => l.startsWith(id));
    expect(csv).toHaveLength(inRiver.length);
    expect((await exported('kml')).match(/<when>/g) ?? []).toHaveLength(inRiver.length);
  });
});

async function freshPassword(api: TestApi, imei: string): Promise<string | undefined> {
  const tracker = await api.app.get(Store).repos.trackers.findByImei(imei);
  if (!tracker) return undefined;
  const issued = await api.post(`/v1/trackers/${tracker.id}/credentials`);
  return issued.body.password as string;
}

interface StreamEvent {
  event: string;
  data: { type: string; violation: { id: string } };
}

function openStream(
  api: TestApi,
  token: string,
): Promise<{ next(timeoutMs?: number): Promise<StreamEvent>; close(): void }> {
  const address = api.app.getHttpServer().listening ? api.app.getHttpServer().address() : undefined;
  return new Promise((resolve, reject) => {
    const start = (port: number) => {
      const queue: StreamEvent[] = [];
      const waiting: Array<(e: StreamEvent) => void> = [];
      let buffer = '';
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/alerts/stream',
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        },
        (response) => {
          if (response.statusCode !== 200) return reject(new Error(`stream: ${response.statusCode}`));
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const fields = Object.fromEntries(
                block
                  .split('\n')
                  .map((line) => [
                    line.slice(0, line.indexOf(':')),
                    line.slice(line.indexOf(':') + 1).trim(),
                  ]),
              );
              if (!fields['data']) continue;
              const event = {
                event: fields['event'] ?? 'message',
                data: JSON.parse(fields['data']),
              } as StreamEvent;
              const waiter = waiting.shift();
              if (waiter) waiter(event);
              else queue.push(event);
            }
          });
          resolve({
            next: (timeoutMs = 20_000) =>
              new Promise((res, rej) => {
                const queued = queue.shift();
                if (queued) return res(queued);
                const waiter = (e: StreamEvent) => {
                  clearTimeout(timer);
                  res(e);
                };
                const timer = setTimeout(() => {
                  waiting.splice(waiting.indexOf(waiter), 1);
                  rej(new Error('no event on the stream'));
                }, timeoutMs);
                waiting.push(waiter);
              }),
            close: () => request.destroy(),
          });
        },
      );
      request.on('error', reject);
    };
    if (address && typeof address === 'object') start(address.port);
    else {
      const server = api.app
        .getHttpServer()
        .listen(0, '127.0.0.1', () => start((server.address() as { port: number }).port));
    }
  });
}
