import mqtt, { MqttClient } from 'mqtt';
import { luhnCheckDigit, MachineCategory, rucCheckDigit } from '@app/registry';
import { readReceiptPayload } from '@app/telemetry';
import { Encoding, Outgoing, SimFix, TickInput, TrackerFirmware } from './firmware';
import { Random } from './random';
import type { Scenario } from './scenarios';

/** A tracker enrolled through the registry API, with its own device secret. */
export interface EnrolledTracker {
  readonly imei: string;
  readonly password: string;
  readonly trackerId: string;
  readonly machineId: string;
  readonly category: MachineCategory;
}

export class RegistryError extends Error {}

/** The registry HTTP API, used as a clerk would to register machines and trackers. */
export class RegistryClient {
  private token: string | undefined;
  private ownerId: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly random = new Random(Date.now() % 2 ** 32),
  ) {}

  async login(username: string, password: string): Promise<void> {
    const body = await this.request<{ accessToken: string }>(
      'POST',
      '/v1/auth/login',
      { username, password },
      200,
    );
    this.token = body.accessToken;
  }

  /** Owner (once per client), machine, tracker, binding, credentials, activation. */
  /**
   * Enrols a machine with its tracker. `installedAt`: when the tracker was installed, if before now (a scenario
   * replaying hours of history has its tracker installed before its first fix).
   */
  async enrol(
    category: MachineCategory,
    department = 'MADRE DE DIOS',
    installedAt?: Date,
  ): Promise<EnrolledTracker> {
    this.ownerId ??= (
      await this.request<{ id: string }>('POST', '/v1/owners', {
        kind: 'company',
        documentType: 'RUC',
        documentNumber: this.ruc(),
        name: 'Minera Simulada del Sur S.A.C.',
      })
    ).id;
    const machine = await this.request<{ id: string }>('POST', '/v1/machines', {
      category,
      make: category === 'dredge' ? 'Artesanal' : 'Caterpillar',
      model: category === 'dredge' ? 'Draga de succión' : '320D2',
      year: 2019,
      serialNumber: `SIM${String(this.random.int(0, 9_999_999_999)).padStart(10, '0')}`,
      department,
      ownerId: this.ownerId,
    });
    const imei = this.imei();
    const tracker = await this.request<{ id: string }>('POST', '/v1/trackers', {
      imei,
      model: 'Teltonika FMC650',
      firmware: '03.28.07',
      iccid: this.luhn('895110', 12),
      intervalMovingSeconds: 60,
      intervalIgnitionOffSeconds: 900,
    });
    await this.request('POST', `/v1/machines/${machine.id}/tracker`, {
      trackerId: tracker.id,
      ...(installedAt ? { installedAt: installedAt.toISOString() } : {}),
    });
    const issued = await this.request<{ password: string }>('POST', `/v1/trackers/${tracker.id}/credentials`);
    await this.request(
      'POST',
      `/v1/machines/${machine.id}/status`,
      { status: 'active', reason: 'Tracker installed and tested (fleet simulator)' },
      200,
    );
    return { imei, password: issued.password, trackerId: tracker.id, machineId: machine.id, category };
  }

  private imei(): string {
    return this.luhn('35', 12);
  }

  private luhn(prefix: string, digits: number): string {
    const payload = prefix + Array.from({ length: digits }, () => this.random.int(0, 9)).join('');
    return payload + luhnCheckDigit(payload);
  }

  private ruc(): string {
    const body = `20${Array.from({ length: 8 }, () => this.random.int(0, 9)).join('')}`;
    return body + rucCheckDigit(body);
  }

  /** One authenticated call of the registry API; anything but the expected status is a RegistryError. */
  async request<T = unknown>(
    method: string,
    path: string,
    body: object | undefined = {},
    expected = 201,
  ): Promise<T> {
    const withBody = method !== 'GET' && method !== 'HEAD';
    const send = () =>
      fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          'content-type': 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        ...(withBody ? { body: JSON.stringify(body ?? {}) } : {}),
      });
    let response: Response;
    try {
      response = await send();
    } catch {
      // A kept-alive connection the API closed as it was reused (idle for its keep-alive timeout) fails before the
      // request is sent: one new attempt, on a new connection.
      try {
        response = await send();
      } catch (error) {
        const cause = (error as { cause?: { message?: unknown } }).cause?.message;
        throw new RegistryError(
          `registry API at ${this.baseUrl} is unreachable${typeof cause === 'string' ? `: ${cause}` : ''}`,
        );
      }
    }
    const text = await response.text();
    if (response.status !== expected) {
      throw new RegistryError(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}

/** Counters shared by every device of a run. */
export class FleetStats {
  messagesSent = 0;
  messagesAcked = 0;
  fixesSent = 0;
  fixesAcked = 0;
  /** Fixes the platform's receipts named as stored (trackers with receipts). */
  fixesReceipted = 0;
  /** Fixes sent again because no receipt came in time. */
  fixesResent = 0;
  failures = 0;
  connected = 0;
  startedAt = Date.now();
  private readonly recent: { at: number; acked: number }[] = [];

  /** Starts the clock of the rates again (e.g. once every machine is enrolled). */
  restart(now = Date.now()): void {
    this.startedAt = now;
    this.recent.length = 0;
  }

  /** Acknowledged fixes per second since the start. */
  rate(now = Date.now()): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.fixesAcked / seconds : 0;
  }

  /** Acknowledged fixes per second over about the last `windowMs` (sampled at each call). */
  currentRate(now = Date.now(), windowMs = 5000): number {
    this.recent.push({ at: now, acked: this.fixesAcked });
    while (this.recent.length > 2 && (this.recent[1] as { at: number }).at <= now - windowMs)
      this.recent.shift();
    const first = this.recent[0] as { at: number; acked: number };
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (this.fixesAcked - first.acked) / seconds : this.rate(now);
  }

  line(now = Date.now()): string {
    const elapsed = Math.round((now - this.startedAt) / 1000);
    return (
      `${elapsed}s  devices ${this.connected}  sent ${this.fixesSent} fixes/${this.messagesSent} msgs  ` +
      `acked ${this.fixesAcked}/${this.messagesAcked}  ` +
      (this.fixesReceipted ? `receipted ${this.fixesReceipted}  ` : '') +
      `${this.currentRate(now).toFixed(1)} fixes/s ` +
      `(avg ${this.rate(now).toFixed(1)})` +
      (this.failures ? `  failed ${this.failures}` : '')
    );
  }
}

/** A fix whose PUBACK arrived, in the order the acknowledgements came. */
export interface AckedFix extends SimFix {
  readonly kind: Outgoing['kind'];
  readonly ackOrder: number;
}

/** One tracker on the network: the firmware model plus its MQTT 3.1.1 connection. */
export interface DeviceOptions {
  /** Wait before trying to reconnect after the connection was lost (ms). */
  readonly reconnectDelayMs?: number;
  /** A publish without PUBACK after this long counts as failed; its fixes stay in flash (ms). */
  readonly ackTimeoutMs?: number;
  /** On `close`, how long a tracker with receipts waits for those still due (sending again what times out) (ms). */
  readonly drainTimeoutMs?: number;
}

export class SimulatedDevice {
  readonly acked: AckedFix[] = [];
  /** Connections made after the first one. */
  reconnects = 0;
  private resentCounted = 0;
  /** Whether the last tick was in coverage and connected: a tracker shutting down out of coverage sends nothing. */
  private inCoverage = true;
  private client: MqttClient | undefined;
  private mqttUrl: string | undefined;
  private nextAttemptAt = 0;
  private readonly reconnectDelayMs: number;
  private readonly ackTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  /** Called whenever a receipt deleted fixes from flash. */
  private onReceipt: (() => void) | undefined;

  constructor(
    readonly tracker: EnrolledTracker,
    readonly firmware: TrackerFirmware,
    private readonly stats: FleetStats,
    options: DeviceOptions = {},
  ) {
    this.reconnectDelayMs = options.reconnectDelayMs ?? 5000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 15_000;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connects as firmware does: client id = username = IMEI, persistent session, retained will and birth. */
  async connect(mqttUrl: string): Promise<void> {
    this.mqttUrl = mqttUrl;
    const status = `devices/${this.tracker.imei}/status`;
    const client = await mqtt.connectAsync(mqttUrl, {
      clientId: this.tracker.imei,
      username: this.tracker.imei,
      password: this.tracker.password,
      protocolVersion: 4,
      clean: false,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: status, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    this.client = client;
    this.stats.connected++;
    client.once('close', () => {
      this.stats.connected--;
      this.nextAttemptAt = Date.now() + this.reconnectDelayMs;
    });
    if (this.firmware.receipts) await this.subscribeReceipts(client);
    await client.publishAsync(
      status,
      JSON.stringify({ state: 'online', time: new Date().toISOString(), firmware: '03.28.07' }),
      { qos: 1, retain: true },
    );
  }

  /**
   * Receipts of stored fixes come on the tracker's own topic, in its persistent session (those published while it
   * was away come when it is back). A broker that refuses the subscription (an account provisioned before receipts
   * existed) leaves the firmware on PUBACKs alone.
   */
  private async subscribeReceipts(client: MqttClient): Promise<void> {
    const topic = this.firmware.receiptsTopic;
    client.on('message', (received, payload) => {
      if (received !== topic) return;
      const receipt = readReceiptPayload(payload);
      if (!receipt) return;
      const deleted = this.firmware.receipt(receipt);
      this.stats.fixesReceipted += deleted;
      if (deleted > 0) this.onReceipt?.();
    });
    const granted = await client.subscribeAsync(topic, { qos: 1 });
    if (granted.some((g) => g.qos !== 0 && g.qos !== 1)) this.firmware.receipts = false;
  }

  /**
   * One tick: the live fix if in coverage, then the backlog (fixes not sent yet or whose receipt is overdue),
   * each message waiting for its PUBACK. A tracker whose connection was lost stores its fixes as if out of
   * coverage and reconnects at its next tick after the reconnect delay.
   */
  async tick(input: TickInput): Promise<void> {
    const online = input.coverage && !input.off && (await this.ensureConnected());
    this.inCoverage = online;
    const effective = online ? input : { ...input, coverage: false };
    const live = this.firmware.tick(effective);
    if (live && !(await this.publish(live))) return;
    if (!online) return;
    await this.flush();
  }

  /** Sends what flash holds to send: fixes not sent yet or whose receipt is overdue; false if a publish failed. */
  private async flush(): Promise<boolean> {
    for (let batch = this.firmware.nextBacklog(); batch; batch = this.firmware.nextBacklog()) {
      if (!(await this.publish(batch))) return false;
    }
    return true;
  }

  /**
   * Waits (up to the drain timeout) for the receipts of what flash still holds, sending again what times out; for
   * a tracker that shuts down cleanly. A lost connection ends the wait, unless `reconnect` (then the tracker
   * connects again, as at its ticks). Resolves with the fixes still held.
   */
  async drain(timeoutMs = this.drainTimeoutMs, options: { reconnect?: boolean } = {}): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.firmware.buffered > 0 && Date.now() < deadline) {
      const client = this.client;
      if (!client?.connected) {
        if (!options.reconnect) break;
        if (!(await this.ensureConnected()))
          await new Promise((resolve) => setTimeout(resolve, Math.max(this.nextAttemptAt - Date.now(), 10)));
        continue;
      }
      if (!(await this.flush()) || this.firmware.buffered === 0) continue;
      const wake = Math.min(this.firmware.nextResendAt() ?? deadline, deadline);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('close', done);
          this.onReceipt = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.max(wake - Date.now(), 1));
        client.once('close', done);
        this.onReceipt = done;
      });
    }
    return this.firmware.buffered;
  }

  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.firmware.receipts && client.connected && this.inCoverage) await this.drain();
    this.client = undefined;
    try {
      if (client.connected) {
        await client.publishAsync(
          `devices/${this.tracker.imei}/status`,
          JSON.stringify({ state: 'offline', reason: 'simulation ended' }),
          { qos: 1, retain: true },
        );
      }
    } finally {
      await client.endAsync(!client.connected);
    }
  }

  /** Cuts the network connection without a DISCONNECT (the broker then publishes the will). */
  loseConnection(): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.resolve();
    return new Promise((resolve) => {
      client.once('close', () => resolve());
      client.stream.destroy();
    });
  }

  private async ensureConnected(): Promise<boolean> {
    if (this.client?.connected) return true;
    if (!this.mqttUrl || Date.now() < this.nextAttemptAt) return false;
    const lost = this.client;
    this.client = undefined;
    await lost?.endAsync(true).catch(() => undefined);
    try {
      await this.connect(this.mqttUrl);
      this.reconnects++;
      return true;
    } catch {
      this.nextAttemptAt = Date.now() + this.reconnectDelayMs;
      return false;
    }
  }

  private async publish(message: Outgoing): Promise<boolean> {
    if (!this.client) throw new Error(`${this.tracker.imei} is not connected`);
    this.stats.fixesResent += this.firmware.resent - this.resentCounted;
    this.resentCounted = this.firmware.resent;
    this.stats.messagesSent++;
    this.stats.fixesSent += message.fixes.length;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.publishAsync(message.topic, message.payload, { qos: 1 }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no PUBACK')), this.ackTimeoutMs);
        }),
      ]);
    } catch {
      this.stats.failures++;
      this.firmware.failed(message);
      return false;
    } finally {
      clearTimeout(timer);
    }
    this.firmware.acknowledge(message);
    this.stats.messagesAcked++;
    this.stats.fixesAcked += message.fixes.length;
    for (const fix of message.fixes)
      this.acked.push({ ...fix, kind: message.kind, ackOrder: this.acked.length });
    return true;
  }
}

export interface FleetTarget {
  readonly registry: RegistryClient;
  readonly mqttUrl: string;
  readonly stats: FleetStats;
}

/** Enrols one machine and connects its tracker. */
export async function launchDevice(
  target: FleetTarget,
  category: MachineCategory,
  encoding: Encoding,
  maxBatch?: number,
  department?: string,
  deviceOptions: DeviceOptions = {},
  installedAt?: Date,
): Promise<SimulatedDevice> {
  const tracker = await target.registry.enrol(category, department, installedAt);
  const firmware = new TrackerFirmware(tracker.imei, encoding, maxBatch ? { maxBatch } : {});
  const device = new SimulatedDevice(tracker, firmware, target.stats, deviceOptions);
  await device.connect(target.mqttUrl);
  return device;
}

export interface ScenarioRunOptions {
  /** Wall-clock pause between ticks; 0 replays the (past) timeline as fast as the broker acknowledges. */
  readonly paceMs?: number;
  readonly maxBatch?: number;
  readonly onTick?: (index: number) => void;
  /** Stops the run between ticks (the tracker then disconnects as at the end). */
  readonly signal?: AbortSignal;
  /** False keeps the tracker connected after the last tick (the caller closes it); default true. */
  readonly disconnectAtEnd?: boolean;
  /** Called once the machine is enrolled and its tracker connected, before the first tick. */
  readonly onLaunched?: (device: SimulatedDevice) => void;
}

/** A pause that ends early when the signal aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs a scenario with one enrolled machine; resolves with the device once it has disconnected (or was stopped),
 * or after its last tick with `disconnectAtEnd: false`.
 */
export async function runScenario(
  scenario: Scenario,
  target: FleetTarget,
  options: ScenarioRunOptions = {},
): Promise<SimulatedDevice> {
  const first = scenario.steps[0]?.sample.timeMs;
  const device = await launchDevice(
    target,
    scenario.category,
    scenario.encoding,
    options.maxBatch,
    undefined,
    {},
    first === undefined ? undefined : new Date(Math.min(Date.now(), first - 60_000)),
  );
  options.onLaunched?.(device);
  let completed = false;
  try {
    for (const [i, step] of scenario.steps.entries()) {
      if (options.signal?.aborted) break;
      await device.tick(step);
      options.onTick?.(i);
      if (options.paceMs) await pause(options.paceMs, options.signal);
    }
    completed = !options.signal?.aborted;
  } finally {
    if (!completed || options.disconnectAtEnd !== false) await device.close();
  }
  return device;
}
