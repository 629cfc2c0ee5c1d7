import type { DrainOutcome } from '@app/mqtt-consumer';
import type { IngestSessionIdentity, IngestSessionRow, IngestSessionsRepository } from '@app/db';

/** The registry of ingest's broker sessions, as the drainer uses it (`IngestSessionsRepository`). */
export type SessionRegistry = Pick<
  IngestSessionsRepository,
  'holdConsuming' | 'claimDrainable' | 'renewDraining' | 'markDrained' | 'release' | 'heldByOthers'
>;

/** One drain of one session: `ConsumerConnection.drain` on a connection with that client id. */
export interface SessionDrain {
  drain(options: { quietMs: number; mayEnd: () => Promise<boolean> }): Promise<DrainOutcome>;
  close(): Promise<void>;
}

export interface SessionDrainerOptions {
  /** The broker the sessions live in (`brokerKey` of MQTT_URL). */
  readonly broker: string;
  /** This process: the holder of its leases. */
  readonly owner: string;
  /** The client ids this instance consumes with. */
  readonly own: readonly IngestSessionIdentity[];
  readonly registry: SessionRegistry;
  /** How long a lease lasts unless renewed; renewed every third of it. */
  readonly leaseSeconds: number;
  /** Whether to drain the sessions no one holds (INGEST_SESSION_DRAIN); they are recorded either way. */
  readonly drain: boolean;
  /** Drains running at once. */
  readonly concurrency: number;
  readonly quietMs: number;
  /** A connection with this client id, subscribed to ingest's filters and handing messages to the pipeline. */
  readonly openDrain: (clientId: string) => SessionDrain;
  readonly log: (message: string) => void;
  readonly warn: (message: string) => void;
}

/** The broker part of an MQTT URL, without credentials, path or query: where a session lives. */
export function brokerKey(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'mqtts:' ? '8883' : '1883');
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Keeps the registry of ingest's broker sessions and drains the sessions no instance consumes with any more.
 *
 * A persistent session in a shared-subscription group keeps getting its share of the devices' messages while its
 * client is away, and keeps them until that client id connects again. An ingest instance that restarts with fewer
 * connections, or under another INGEST_INSTANCE_ID, would leave those messages there, acknowledged to the devices
 * and never stored. So each instance records the client ids it consumes with and holds a lease on them while it
 * runs (renewed every third of INGEST_SESSION_LEASE_SECONDS, released when it stops); every renewal it also claims
 * the recorded sessions that no one holds and that are not drained yet, and drains them: it connects with the
 * session's client id, hands what it holds to the pipeline (acknowledged after the commit) and ends the session
 * once it is empty. A killed instance's sessions are drained once its lease has expired (or as soon as it comes
 * back under the same name, by itself).
 */
export class SessionDrainer {
  private readonly drains = new Map<string, SessionDrain>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SessionDrainerOptions) {}

  /**
   * Records this instance's client ids and holds them, before its connections connect. Says so when another
   * process held them until now: one killed less than a lease ago, or another running instance under the same
   * name, with which this one would take the sessions over back and forth at the broker.
   */
  async claimOwn(): Promise<void> {
    const { registry, broker, owner, own } = this.options;
    const held = await registry.heldByOthers(
      broker,
      owner,
      own.map((identity) => identity.clientId),
    );
    for (const session of held)
      this.options.warn(
        `${session.client_id} was held until ${session.lease_until?.toISOString() ?? '?'} by ${session.lease_owner ?? '?'} ` +
          `(${session.lease_purpose ?? '?'}): a process stopped without releasing it, or another instance running ` +
          `under the same INGEST_INSTANCE_ID, which would take the sessions over from this one and back`,
      );
    await this.hold();
  }

  private async hold(): Promise<void> {
    const { registry, broker, owner, own, leaseSeconds } = this.options;
    await registry.holdConsuming(broker, owner, own, leaseSeconds);
  }

  /** Renews the leases and drains what there is to drain, now and every third of the lease. */
  start(): void {
    this.timer = setInterval(() => void this.tick(), (this.options.leaseSeconds * 1000) / 3);
    this.timer.unref();
    void this.tick();
  }

  /** The sessions being drained now, by client id. */
  get draining(): string[] {
    return [...this.drains.keys()];
  }

  /** Stops renewing and draining (a drain in progress leaves its session as it is) and releases every lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.drains.values()].map((drain) => drain.close()));
  }

  /** Releases what this process holds: its sessions may be drained at once (after its connections closed). */
  async release(): Promise<void> {
    try {
      await this.options.registry.release(this.options.broker, this.options.owner);
    } catch (error) {
      this.options.warn(`could not release the broker sessions of this instance: ${message(error)}`);
    }
  }

  /** One renewal and sweep; a failing database only delays them to the next. */
  tick(): Promise<void> {
    this.ticking ??= this.renewAndSweep()
      .catch((error: unknown) =>
        this.options.warn(`broker session registry not reachable, will try again: ${message(error)}`),
      )
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async renewAndSweep(): Promise<void> {
    if (this.stopped) return;
    await this.hold();
    const { registry, broker, owner, leaseSeconds } = this.options;
    for (const [clientId, drain] of this.drains) {
      if (!(await registry.renewDraining(broker, clientId, owner, leaseSeconds))) {
        this.options.warn(`${clientId}: an instance consumes with it again; leaving its session to it`);
        await drain.close();
      }
    }
    if (!this.options.drain || this.stopped) return;
    const free = this.options.concurrency - this.drains.size;
    const claimed = await registry.claimDrainable(broker, owner, free, leaseSeconds);
    for (const session of claimed) this.startDrain(session);
  }

  private startDrain(session: IngestSessionRow): void {
    const { registry, broker, owner, leaseSeconds } = this.options;
    const clientId = session.client_id;
    const drain = this.options.openDrain(clientId);
    this.drains.set(clientId, drain);
    this.options.log(
      `draining the broker session ${clientId} (instance ${session.instance_id}, connection ${session.connection_index}), which no instance consumes with any more`,
    );
    drain
      .drain({
        quietMs: this.options.quietMs,
        // Ended only if this process still holds it: an instance consuming with it again has taken it.
        mayEnd: () => registry.renewDraining(broker, clientId, owner, leaseSeconds),
      })
      .then(
        async (outcome) => {
          if (!outcome.ended) {
            await registry.release(broker, owner, clientId);
            return;
          }
          await registry.markDrained(broker, clientId, owner, outcome.messages);
          this.options.log(
            outcome.sessionPresent
              ? `drained the broker session ${clientId}: ${outcome.messages} messages stored, session ended`
              : `the broker no longer held the session ${clientId}: nothing to drain`,
          );
        },
        async (error: unknown) => {
          this.options.warn(
            `could not drain the broker session ${clientId}, will try again: ${message(error)}`,
          );
          await registry.release(broker, owner, clientId);
        },
      )
      .catch((error: unknown) =>
        this.options.warn(`could not record the drain of ${clientId}: ${message(error)}`),
      )
      .finally(() => this.drains.delete(clientId));
  }
}
