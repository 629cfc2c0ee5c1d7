import type { DrainOutcome } from '@app/mqtt-consumer';
import type { IngestSessionIdentity, IngestSessionRow } from '@app/db';
import {
  SessionDrain,
  SessionDrainer,
  SessionDrainerOptions,
  SessionRegistry,
  brokerKey,
} from './session-drainer';

const BROKER = 'mqtt://mosquitto:1883';

function row(clientId: string): IngestSessionRow {
  return {
    broker: BROKER,
    client_id: clientId,
    instance_id: clientId.split('-')[2] ?? 'x',
    connection_index: 0,
    first_used_at: new Date(),
    last_used_at: new Date(),
    lease_owner: null,
    lease_purpose: null,
    lease_until: null,
    drained_at: null,
    drained_messages: null,
  };
}

/** A registry in memory that records the calls, with the sessions to offer for draining. */
class FakeRegistry implements SessionRegistry {
  readonly calls: string[] = [];
  drainable: IngestSessionRow[] = [];
  /** Sessions whose lease this process has lost. */
  readonly lost = new Set<string>();
  failing = false;

  async holdConsuming(_broker: string, owner: string, identities: readonly IngestSessionIdentity[]) {
    if (this.failing) throw new Error('database down');
    this.calls.push(`hold ${owner} ${identities.map((i) => i.clientId).join(',')}`);
  }
  async claimDrainable(_broker: string, _owner: string, limit: number) {
    const claimed = this.drainable.splice(0, limit);
    this.calls.push(`claim ${limit}: ${claimed.map((r) => r.client_id).join(',')}`);
    return claimed;
  }
  heldBy: IngestSessionRow[] = [];
  async heldByOthers() {
    return this.heldBy;
  }
  async renewDraining(_broker: string, clientId: string) {
    this.calls.push(`renew ${clientId}`);
    return !this.lost.has(clientId);
  }
  async markDrained(_broker: string, clientId: string, _owner: string, messages: number) {
    this.calls.push(`drained ${clientId} ${messages}`);
    return true;
  }
  async release(_broker: string, _owner: string, clientId?: string) {
    this.calls.push(`release ${clientId ?? 'all'}`);
  }
}

/** A drain that ends the way the test says, when it says. */
class FakeDrain implements SessionDrain {
  finish!: (outcome: DrainOutcome | Error) => void;
  mayEnd!: () => Promise<boolean>;
  closed = false;

  drain(options: { quietMs: number; mayEnd: () => Promise<boolean> }): Promise<DrainOutcome> {
    this.mayEnd = options.mayEnd;
    return new Promise<DrainOutcome>((resolve, reject) => {
      this.finish = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
    });
  }
  async close(): Promise<void> {
    this.closed = true;
    this.finish({ sessionPresent: true, messages: 0, ended: false });
  }
}

describe('SessionDrainer', () => {
  let registry: FakeRegistry;
  let drains: Map<string, FakeDrain>;
  const logged: string[] = [];

  function drainer(overrides: Partial<SessionDrainerOptions> = {}): SessionDrainer {
    return new SessionDrainer({
      broker: BROKER,
      owner: 'me',
      own: [{ clientId: 'centinela-ingest-a-0', instanceId: 'a', connectionIndex: 0 }],
      registry,
      leaseSeconds: 60,
      drain: true,
      concurrency: 2,
      quietMs: 100,
      openDrain: (clientId) => {
        const drain = new FakeDrain();
        drains.set(clientId, drain);
        return drain;
      },
      log: (message) => logged.push(message),
      warn: (message) => logged.push(`warn: ${message}`),
      ...overrides,
    });
  }

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    registry = new FakeRegistry();
    drains = new Map();
    logged.length = 0;
  });

  it('holds its own sessions, then drains what it claims, at most `concurrency` at once, and records each', async () => {
    registry.drainable = ['b-0', 'b-1', 'b-2'].map((id) => row(`centinela-ingest-${id}`));
    const subject = drainer();
    await subject.tick();
    expect(registry.calls).toEqual([
      'hold me centinela-ingest-a-0',
      'claim 2: centinela-ingest-b-0,centinela-ingest-b-1',
    ]);
    expect(subject.draining).toEqual(['centinela-ingest-b-0', 'centinela-ingest-b-1']);

    drains.get('centinela-ingest-b-0')!.finish({ sessionPresent: true, messages: 17, ended: true });
    await settle();
    expect(registry.calls).toContain('drained centinela-ingest-b-0 17');
    expect(subject.draining).toEqual(['centinela-ingest-b-1']);

    registry.calls.length = 0;
    await subject.tick();
    expect(registry.calls).toEqual([
      'hold me centinela-ingest-a-0',
      'renew centinela-ingest-b-1',
      'claim 1: centinela-ingest-b-2',
    ]);
    // Asked before it ends a session: it may only while it holds the lease.
    expect(await drains.get('centinela-ingest-b-2')!.mayEnd()).toBe(true);
    registry.lost.add('centinela-ingest-b-2');
    expect(await drains.get('centinela-ingest-b-2')!.mayEnd()).toBe(false);
  });

  it('stops a drain whose session an instance consumes with again, and releases a failed one for a later try', async () => {
    registry.drainable = [row('centinela-ingest-b-0'), row('centinela-ingest-b-1')];
    const subject = drainer();
    await subject.tick();

    drains
      .get('centinela-ingest-b-1')!
      .finish(new Error('the connection was lost while draining the session'));
    await settle();
    expect(registry.calls).toContain('release centinela-ingest-b-1');
    expect(
      logged.some((l) => l.startsWith('warn: could not drain the broker session centinela-ingest-b-1')),
    ).toBe(true);

    registry.lost.add('centinela-ingest-b-0');
    await subject.tick();
    await settle();
    expect(drains.get('centinela-ingest-b-0')!.closed).toBe(true);
    expect(registry.calls).toContain('release centinela-ingest-b-0');
    expect(registry.calls.some((c) => c.startsWith('drained'))).toBe(false);
    expect(subject.draining).toEqual([]);
  });

  it('records its sessions but drains nothing with the drain off; a database outage only delays the next tick', async () => {
    registry.drainable = [row('centinela-ingest-b-0')];
    const subject = drainer({ drain: false });
    await subject.tick();
    expect(registry.calls).toEqual(['hold me centinela-ingest-a-0']);

    registry.failing = true;
    await subject.tick();
    expect(logged).toEqual(['warn: broker session registry not reachable, will try again: database down']);
  });

  it('stops its drains, leaving their sessions as they are, and releases what it holds', async () => {
    registry.drainable = [row('centinela-ingest-b-0')];
    const subject = drainer();
    await subject.tick();
    await subject.stop();
    await subject.release();
    await settle();
    expect(drains.get('centinela-ingest-b-0')!.closed).toBe(true);
    expect(registry.calls.slice(-2).sort()).toEqual(['release all', 'release centinela-ingest-b-0']);
    // Stopped, it neither renews nor claims.
    const calls = registry.calls.length;
    registry.drainable = [row('centinela-ingest-c-0')];
    await subject.tick();
    expect(registry.calls).toHaveLength(calls);
  });

  it('says so at its start when another process holds its sessions (killed a moment ago, or running under the same name)', async () => {
    registry.heldBy = [
      {
        ...row('centinela-ingest-a-0'),
        lease_owner: 'a@other:12',
        lease_purpose: 'consuming',
        lease_until: new Date(0),
      },
    ];
    await drainer().claimOwn();
    expect(registry.calls).toEqual(['hold me centinela-ingest-a-0']);
    expect(logged).toEqual([
      'warn: centinela-ingest-a-0 was held until 1970-01-01T00:00:00.000Z by a@other:12 (consuming): a process stopped without releasing it, or another instance running under the same INGEST_INSTANCE_ID, which would take the sessions over from this one and back',
    ]);
  });

  it('names a broker by protocol, host and port, without credentials', () => {
    expect(brokerKey('mqtt://user:secret@mosquitto')).toBe('mqtt://mosquitto:1883');
    expect(brokerKey('mqtts://broker.example.pe:8884/')).toBe('mqtts://broker.example.pe:8884');
    expect(brokerKey('mqtts://broker.example.pe')).toBe('mqtts://broker.example.pe:8883');
  });
});
