import { Kysely, sql } from 'kysely';
import { LiteralKind, LiteralValue, arrayLiteral } from '../array-literal';
import type { DB, NewPosition, PositionRow, RefusedDeviceMessageRow } from '../schema';

/** One device message to store once per device and content, with the id its fixes refer to. */
export interface NewDeviceMessage {
  readonly id: string;
  readonly imei: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
}

/** A device message the database refused, as kept for an operator. */
export interface RefusedDeviceMessage {
  readonly imei: string | undefined;
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
  readonly sqlstate: string | undefined;
  readonly error: string;
}

/** Which stored fixes of a tracker to read back to rebuild its live state. */
export interface ReplayRequest {
  readonly imei: string;
  /** Fixes that arrived after this moment. */
  readonly receivedAfter: Date;
  /** Fixes taken at or after this moment (older ones are beyond what the rules keep). */
  readonly takenFrom: Date;
}

/** A column sent by `storeTelemetry`: its name, its SQL type and how its values are written (`arrayLiteral`). */
type Field<Row> = readonly [keyof Row & string, string, LiteralKind];

/** One `unnest` argument per field: the column's values as an array literal, cast to an array of its type. */
function unnestArguments<Row>(rows: readonly Row[], fields: readonly Field<Row>[]) {
  return sql.join(
    fields.map(([name, type, kind]) => {
      const values = arrayLiteral(
        rows.map((row) => row[name] as LiteralValue),
        kind,
      );
      return sql`${values}::${sql.raw(type === 'text[]' ? 'text' : type)}[]`;
    }),
  );
}

/** A device message as `storeTelemetry` sends it: its payload in base64, hashed by the database. */
interface MessageRow {
  readonly id: string;
  readonly imei: string;
  readonly topic: string;
  readonly payload_base64: string;
  readonly received_at: Date;
}

const MESSAGE_FIELDS: readonly Field<MessageRow>[] = [
  ['id', 'uuid', 'text'],
  ['imei', 'text', 'text'],
  ['topic', 'text', 'text'],
  ['payload_base64', 'text', 'text'],
  ['received_at', 'timestamptz', 'timestamp'],
];
const MESSAGE_COLUMNS = sql.raw(MESSAGE_FIELDS.map(([name]) => name).join(', '));

/** The columns of a stored fix, with their types and how `storeTelemetry` sends them. */
const POSITION_FIELDS: readonly Field<NewPosition>[] = [
  ['imei', 'text', 'text'],
  ['fix_time', 'timestamptz', 'timestamp'],
  ['received_at', 'timestamptz', 'timestamp'],
  ['lat', 'float8', 'number'],
  ['lon', 'float8', 'number'],
  ['h3_cell', 'text', 'text'],
  ['speed_kmh', 'real', 'number'],
  ['heading_deg', 'real', 'number'],
  ['altitude_m', 'real', 'number'],
  ['hdop', 'real', 'number'],
  ['pdop', 'real', 'number'],
  ['satellites', 'smallint', 'number'],
  ['ignition', 'boolean', 'boolean'],
  ['external_voltage_v', 'real', 'number'],
  ['battery_v', 'real', 'number'],
  ['events', 'text[]', 'text-array'],
  ['flags', 'text[]', 'text-array'],
  ['trusted', 'boolean', 'boolean'],
  ['sequence', 'bigint', 'number'],
  ['gnss_jamming', 'text', 'text'],
  ['gsm_jamming', 'boolean', 'boolean'],
  ['source', 'text', 'text'],
  ['message_id', 'uuid', 'text'],
  ['message_index', 'integer', 'number'],
];
const POSITION_COLUMNS = sql.raw(POSITION_FIELDS.map(([name]) => name).join(', '));
/** Events and flags travel as one array literal per row (see `arrayLiteral`); a row without them gets the default. */
const POSITION_VALUES = sql.raw(
  POSITION_FIELDS.map(([name, type]) => (type === 'text[]' ? `coalesce(${name}::text[], '{}')` : name)).join(
    ', ',
  ),
);

export class PositionsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Stores device messages and their fixes in one statement, each once: a message already stored (same device
   * and bytes) is not stored again, nor are fixes of a tracker at a time already stored. A message's fixes refer
   * to its given id; the fixes of a message stored before are all stored already, so no fix refers to an id that
   * was not stored. Rows travel as one array per column (`unnest`), each a single parameter, so the statement's
   * size and planning do not grow with the batch; payloads travel in base64 and are hashed by the database.
   * The same statement moves `last_seen_at` of the trackers' open violations (not integrity alerts) to their
   * newest new trusted fix. Returns how many fixes were new.
   */
  async storeTelemetry(messages: readonly NewDeviceMessage[], rows: readonly NewPosition[]): Promise<number> {
    if (messages.length === 0 && rows.length === 0) return 0;
    const messageRows = messages.map((m): MessageRow => ({
      id: m.id,
      imei: m.imei,
      topic: m.topic,
      payload_base64: m.payload.toString('base64'),
      received_at: m.receivedAt,
    }));
    const result = await sql<{ stored: number }>`
      with stored_messages as (
        insert into device_messages (id, imei, topic, payload, payload_sha256, received_at)
        select id, imei, topic, payload, encode(sha256(payload), 'hex'), received_at
        from (
          select id, imei, topic, decode(payload_base64, 'base64') as payload, received_at
          from unnest(${unnestArguments(messageRows, MESSAGE_FIELDS)}) as m(${MESSAGE_COLUMNS})
        ) as m
        on conflict (imei, payload_sha256) do nothing
      )
      , stored_positions as (
        insert into positions (${POSITION_COLUMNS})
        select ${POSITION_VALUES}
        from unnest(${unnestArguments(rows, POSITION_FIELDS)}) as p(${POSITION_COLUMNS})
        on conflict (imei, fix_time) do nothing
        returning imei, fix_time, trusted
      )
      , seen as (
        update violations v set last_seen_at = s.last_fix
        from (
          select imei, max(fix_time) as last_fix from stored_positions where trusted group by imei
        ) as s
        where v.imei = s.imei and v.status = 'open' and v.zone_kind <> 'integrity'
          and v.last_seen_at < s.last_fix
      )
      select count(*)::int as stored from stored_positions
    `.execute(this.db);
    return Number(result.rows[0]?.stored ?? 0);
  }

  /** Keeps a device message the database refused to store, whole, with the reason. */
  async keepRefused(message: RefusedDeviceMessage): Promise<void> {
    await this.db
      .insertInto('refused_device_messages')
      .values({
        imei: message.imei ?? null,
        topic: message.topic,
        payload: message.payload,
        received_at: message.receivedAt,
        sqlstate: message.sqlstate ?? null,
        error: message.error,
      })
      .execute();
  }

  /** The refused device messages (of one tracker, when given), newest first, a page at a time. */
  async refused(window: {
    limit: number;
    offset: number;
    /** Only this tracker's. */
    imei?: string | undefined;
  }): Promise<{ items: RefusedDeviceMessageRow[]; total: number }> {
    let base = this.db.selectFrom('refused_device_messages');
    if (window.imei !== undefined) base = base.where('imei', '=', window.imei);
    const [items, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('refused_at', 'desc')
        .orderBy('id')
        .limit(window.limit)
        .offset(window.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  /**
   * The fixes to fold into rebuilt live states (trusted and flagged: the rules take the trusted ones, the integrity
   * detectors all), per tracker in the order ingest first saw them: by arrival, each message's fixes together in
   * their order in the message.
   */
  replayable(requests: readonly ReplayRequest[]): Promise<PositionRow[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('positions')
      .selectAll()
      .where((eb) =>
        eb.or(
          requests.map((r) =>
            eb.and([
              eb('imei', '=', r.imei),
              eb('fix_time', '>=', r.takenFrom),
              eb('received_at', '>', r.receivedAfter),
            ]),
          ),
        ),
      )
      .orderBy('imei')
      .orderBy('received_at')
      .orderBy('message_id')
      .orderBy('message_index')
      .execute();
  }

  /** The time of each tracker's newest stored fix; trackers without any are absent. */
  async newestFixTimes(imeis: readonly string[]): Promise<Map<string, Date>> {
    const newest = new Map<string, Date>();
    if (imeis.length === 0) return newest;
    const rows = await this.db
      .selectFrom('positions')
      .select(['imei', (eb) => eb.fn.max('fix_time').as('newest')])
      .where('imei', 'in', [...imeis])
      .groupBy('imei')
      .execute();
    for (const row of rows) newest.set(row.imei, new Date(row.newest));
    return newest;
  }

  /**
   * The tracker's newest trusted fix at or before `at` (strictly before with `exclusive`): where an integrity alert
   * is placed, never on a suspect fix.
   */
  lastTrusted(
    imei: string,
    at: Date,
    exclusive = false,
  ): Promise<{ lat: number; lon: number; fix_time: Date } | undefined> {
    return this.db
      .selectFrom('positions')
      .select(['lat', 'lon', 'fix_time'])
      .where('imei', '=', imei)
      .where('trusted', '=', true)
      .where('fix_time', exclusive ? '<' : '<=', at)
      .orderBy('fix_time', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  track(imei: string, from: Date, to: Date): Promise<PositionRow[]> {
    return this.db
      .selectFrom('positions')
      .selectAll()
      .where('imei', '=', imei)
      .where('fix_time', '>=', from)
      .where('fix_time', '<', to)
      .orderBy('fix_time')
      .execute();
  }

  async messagePayload(id: string): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('device_messages')
      .select('payload')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? Buffer.from(row.payload) : undefined;
  }

  /**
   * Creates the monthly partitions from `from`'s month through `monthsAhead` months later, so fixes land in a
   * partition of their own month; fixes outside (device clocks far off) go to the default partition. Run it in
   * a transaction: an advisory lock keeps concurrent ingest instances from racing.
   */
  async ensureMonthlyPartitions(from: Date, monthsAhead: number): Promise<string[]> {
    const created: string[] = [];
    await sql`select pg_advisory_xact_lock(hashtext('centinela.positions_partitions'))`.execute(this.db);
    for (let i = 0; i <= monthsAhead; i++) {
      const start = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + i, 1));
      const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
      const name = `positions_${start.getUTCFullYear()}_${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
      const exists = await sql<{ n: number }>`select 1 as n from pg_class where relname = ${name}`.execute(
        this.db,
      );
      if (exists.rows.length > 0) continue;
      // Rows of this month already in the default partition must move before the partition can exist.
      await sql`lock table positions_default in access exclusive mode`.execute(this.db);
      await sql.raw(`create table ${name} (like positions including defaults)`).execute(this.db);
      await sql
        .raw(
          `with moved as (delete from positions_default where fix_time >= '${start.toISOString()}' and fix_time < '${end.toISOString()}' returning *) insert into ${name} select * from moved`,
        )
        .execute(this.db);
      await sql
        .raw(
          `alter table positions attach partition ${name} for values from ('${start.toISOString()}') to ('${end.toISOString()}')`,
        )
        .execute(this.db);
      created.push(name);
    }
    return created;
  }
}
