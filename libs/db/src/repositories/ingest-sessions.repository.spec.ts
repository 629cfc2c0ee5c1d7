import { TestDatabase, openTestDatabase, storageModes } from '../../../../test/support/storage';
import { IngestSessionIdentity, IngestSessionsRepository } from './ingest-sessions.repository';

const BROKER = 'mqtt://mosquitto:1883';

function identities(instanceId: string, connections: number): IngestSessionIdentity[] {
  return Array.from({ length: connections }, (_, i) => ({
    clientId: `centinela-ingest-${instanceId}-${i}`,
    instanceId,
    connectionIndex: i,
  }));
}

describe.each(storageModes())('IngestSessionsRepository (%s)', (mode) => {
  let database: TestDatabase;
  let sessions: IngestSessionsRepository;

  beforeAll(async () => {
    database = await openTestDatabase(mode);
    sessions = new IngestSessionsRepository(database.db);
  });
  afterAll(() => database.dispose());
  beforeEach(() => database.db.deleteFrom('ingest_sessions').execute());

  const clientIds = (rows: readonly { client_id: string }[]) => rows.map((r) => r.client_id).sort();

  it('never offers a session a consuming instance holds; offers it once released or its lease expired', async () => {
    await sessions.holdConsuming(BROKER, 'a#1', identities('a', 2), 60);
    await sessions.holdConsuming(BROKER, 'b#1', identities('b', 1), 0);
    // b's lease (0 s) has expired: b was killed; a is live.
    expect(clientIds(await sessions.claimDrainable(BROKER, 'c#1', 10, 60))).toEqual(['centinela-ingest-b-0']);
    expect(await sessions.claimDrainable(BROKER, 'c#1', 10, 60)).toEqual([]);
    // A sessions on another broker are not this broker's.
    expect(await sessions.claimDrainable('mqtt://elsewhere:1883', 'c#1', 10, 60)).toEqual([]);

    // Another process holding a's sessions now: a's previous one, killed, or a second instance under a's name.
    expect(
      clientIds(await sessions.heldByOthers(BROKER, 'a#2', ['centinela-ingest-a-0', 'centinela-ingest-b-0'])),
    ).toEqual(['centinela-ingest-a-0', 'centinela-ingest-b-0']);
    expect(await sessions.heldByOthers(BROKER, 'a#1', ['centinela-ingest-a-0'])).toEqual([]);

    // a restarts with one connection: its previous process released what it held at its stop.
    await sessions.release(BROKER, 'a#1');
    await sessions.holdConsuming(BROKER, 'a#2', identities('a', 1), 60);
    expect(clientIds(await sessions.claimDrainable(BROKER, 'a#2', 10, 60))).toEqual(['centinela-ingest-a-1']);
    const rows = await sessions.list(BROKER);
    expect(rows.map((r) => [r.client_id, r.lease_owner, r.lease_purpose])).toEqual([
      ['centinela-ingest-a-0', 'a#2', 'consuming'],
      ['centinela-ingest-a-1', 'a#2', 'draining'],
      ['centinela-ingest-b-0', 'c#1', 'draining'],
    ]);
  });

  it('lets two instances claiming at once drain each session once', async () => {
    await sessions.holdConsuming(BROKER, 'old#1', identities('old', 8), 0);
    const [first, second] = await Promise.all([
      sessions.claimDrainable(BROKER, 'x#1', 5, 60),
      sessions.claimDrainable(BROKER, 'y#1', 5, 60),
    ]);
    const claimed = [...clientIds(first!), ...clientIds(second!)];
    expect(claimed.sort()).toEqual(clientIds(identities('old', 8).map((i) => ({ client_id: i.clientId }))));
  });

  it('records a drained session; a consuming instance takes a session back from a drain, which then may not end it', async () => {
    await sessions.holdConsuming(BROKER, 'a#1', identities('a', 2), 0);
    const claimed = await sessions.claimDrainable(BROKER, 'b#1', 10, 60);
    expect(claimed).toHaveLength(2);
    expect(await sessions.renewDraining(BROKER, 'centinela-ingest-a-0', 'b#1', 60)).toBe(true);
    expect(await sessions.markDrained(BROKER, 'centinela-ingest-a-0', 'b#1', 42)).toBe(true);

    // a comes back with two connections while b drains a-1: a holds both again.
    await sessions.holdConsuming(BROKER, 'a#2', identities('a', 2), 60);
    expect(await sessions.renewDraining(BROKER, 'centinela-ingest-a-1', 'b#1', 60)).toBe(false);
    expect(await sessions.markDrained(BROKER, 'centinela-ingest-a-1', 'b#1', 7)).toBe(false);
    const rows = await sessions.list(BROKER);
    expect(rows.map((r) => [r.client_id, r.lease_owner, r.drained_at, r.drained_messages])).toEqual([
      ['centinela-ingest-a-0', 'a#2', null, null],
      ['centinela-ingest-a-1', 'a#2', null, null],
    ]);
    expect(rows[0]!.first_used_at.getTime()).toBeLessThanOrEqual(rows[0]!.last_used_at.getTime());

    // Drained, a session is offered no more.
    await sessions.release(BROKER, 'a#2');
    const again = await sessions.claimDrainable(BROKER, 'b#1', 10, 60);
    expect(clientIds(again)).toEqual(['centinela-ingest-a-0', 'centinela-ingest-a-1']);
    expect(await sessions.markDrained(BROKER, 'centinela-ingest-a-1', 'b#1', 3)).toBe(true);
    await sessions.release(BROKER, 'b#1', 'centinela-ingest-a-0');
    expect(clientIds(await sessions.claimDrainable(BROKER, 'c#1', 10, 60))).toEqual(['centinela-ingest-a-0']);
    const drained = (await sessions.list(BROKER)).find((r) => r.client_id === 'centinela-ingest-a-1');
    expect(drained).toMatchObject({ drained_messages: 3, lease_owner: null, lease_until: null });
    expect(drained?.drained_at).toBeInstanceOf(Date);
  });
});
