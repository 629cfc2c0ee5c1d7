import { AvlIoElement, AvlRecord, CODEC_8, FixEvent, ReceiptPayload, writeAvlPacket } from '@app/telemetry';
import { GpsSample } from './track';

export type Encoding = 'json' | 'teltonika';

/** One tick of the tracker's life: what the receiver sees and the state of the machine and the network. */
export interface TickInput {
  readonly sample: GpsSample;
  readonly ignition: boolean;
  /** Volts from the machine; 0 while its power supply is cut. */
  readonly externalVoltage: number;
  /** Volts of the tracker's backup battery. */
  readonly battery: number;
  readonly events?: readonly FixEvent[];
  /** Cellular coverage: without it the fix goes to flash. */
  readonly coverage: boolean;
  /** The tracker is off (battery exhausted): nothing is recorded. */
  readonly off?: boolean;
  /** The tracker boots before this tick: its sequence restarts at 0. */
  readonly reboot?: boolean;
}

/** A fix as the firmware stores and sends it (the JSON fix of the device protocol). */
export interface SimFix {
  readonly time: string;
  readonly lat: number;
  readonly lon: number;
  readonly speed: number;
  readonly heading: number;
  readonly altitude: number;
  readonly hdop: number;
  readonly satellites: number;
  readonly ignition: boolean;
  readonly externalVoltage: number;
  readonly battery: number;
  readonly events: readonly FixEvent[];
  readonly sequence: number;
}

export interface Outgoing {
  readonly topic: string;
  readonly payload: Buffer;
  readonly fixes: readonly SimFix[];
  /** `live`: the fix of this tick; `backlog`: fixes stored while out of coverage. */
  readonly kind: 'live' | 'backlog';
}

export interface FirmwareOptions {
  /** Fixes per backlog message: at most 500 (JSON), 255 (one AVL packet). */
  readonly maxBatch?: number;
  /**
   * Keep each fix until the platform's receipt names it (`devices/{imei}/receipts`), not merely until its PUBACK,
   * and send it again when no receipt came within `receiptTimeoutMs` (docs/device-protocol.md, section 9).
   * Default: true for JSON trackers; Teltonika trackers over MQTT have only the PUBACK (section 6).
   */
  readonly receipts?: boolean;
  /** How long a PUBACKed fix waits for its receipt before it is sent again (doubling each time, up to 16×). */
  readonly receiptTimeoutMs?: number;
}

export const MAX_JSON_BATCH = 500;
export const MAX_AVL_RECORDS = 255;
export const DEFAULT_RECEIPT_TIMEOUT_MS = 60_000;

/** Teltonika AVL ids the platform maps (docs/device-protocol.md section 6). */
const IO = { ignition: 239, externalVoltage: 66, battery: 67, hdop: 182, unplug: 252, towing: 246 } as const;

/** A fix in flash: waiting to be sent, in a message not yet PUBACKed, or PUBACKed and waiting for its receipt. */
interface StoredFix {
  readonly fix: SimFix;
  readonly timeMs: number;
  state: 'waiting' | 'in_flight' | 'awaiting_receipt';
  /** When it was PUBACKed last (awaiting its receipt). */
  ackedAt: number;
  /** How many times it was sent. */
  sends: number;
  /** Deleted from flash (receipted, or PUBACKed without receipts). */
  deleted: boolean;
}

/**
 * Tracker firmware: one fix per tick, live while in coverage; while out of coverage fixes are kept in flash and
 * flushed later, oldest first, in batches. With receipts (the default for JSON), every fix, the live one too,
 * stays in flash until the platform's receipt names it: a PUBACK only means the broker has it, and a broker can
 * lose what it acknowledged; a fix PUBACKed without a receipt in time is sent again (the platform stores a fix
 * once per tracker and time, so a re-send is harmless). Without receipts a fix is deleted on its PUBACK. The live
 * fix of a tick goes before the backlog, so the platform receives positions out of order.
 */
export class TrackerFirmware {
  private sequence = 0;
  private flash: StoredFix[] = [];
  private readonly sentFixes = new WeakMap<Outgoing, StoredFix[]>();
  private readonly maxBatch: number;
  private readonly receiptTimeoutMs: number;
  /** Whether fixes wait for their receipt; off when the broker refuses the receipts subscription. */
  receipts: boolean;
  /** Fixes sent again because no receipt came in time. */
  resent = 0;

  constructor(
    readonly imei: string,
    readonly encoding: Encoding,
    options: FirmwareOptions = {},
  ) {
    const limit = encoding === 'teltonika' ? MAX_AVL_RECORDS : MAX_JSON_BATCH;
    this.maxBatch = Math.min(options.maxBatch ?? limit, limit);
    if (this.maxBatch < 1) throw new RangeError('maxBatch must be at least 1');
    this.receipts = options.receipts ?? encoding === 'json';
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? DEFAULT_RECEIPT_TIMEOUT_MS;
  }

  /** Fixes kept in flash: not yet sent, in flight, or waiting for their receipt. */
  get buffered(): number {
    return this.flash.length;
  }

  /** Fixes PUBACKed and still waiting for their receipt. */
  get awaitingReceipt(): number {
    return this.flash.filter((s) => s.state === 'awaiting_receipt').length;
  }

  get topic(): string {
    return `devices/${this.imei}/${this.encoding === 'json' ? 'fixes' : 'teltonika'}`;
  }

  get receiptsTopic(): string {
    return `devices/${this.imei}/receipts`;
  }

  /** Records the tick's fix. Returns the live message when in coverage, nothing otherwise. */
  tick(input: TickInput): Outgoing | undefined {
    if (input.reboot) this.sequence = 0;
    if (input.off) return undefined;
    const fix = this.fixOf(input);
    if (!input.coverage) {
      this.flash.push(stored(fix));
      return undefined;
    }
    const entry = stored(fix);
    entry.state = 'in_flight';
    entry.sends = 1;
    // Without receipts a live fix enters flash only if its publish fails.
    if (this.receipts) this.flash.push(entry);
    return this.encode([entry], 'live');
  }

  /**
   * The oldest stored fixes to send, as one message: those not sent yet or whose publish failed, and (with
   * receipts) those PUBACKed longer ago than the receipt timeout without a receipt. Call `acknowledge` once its
   * PUBACK is in, `failed` if it does not come.
   */
  nextBacklog(now = Date.now()): Outgoing | undefined {
    const batch: StoredFix[] = [];
    for (const entry of this.flash) {
      if (batch.length === this.maxBatch) break;
      if (entry.state === 'waiting') batch.push(entry);
      else if (entry.state === 'awaiting_receipt' && now - entry.ackedAt >= this.timeoutOf(entry)) {
        this.resent++;
        batch.push(entry);
      }
    }
    if (batch.length === 0) return undefined;
    for (const entry of batch) {
      entry.state = 'in_flight';
      entry.sends++;
    }
    return this.encode(batch, 'backlog');
  }

  /** A message's PUBACK: without receipts its fixes are deleted; with them they wait for their receipt. */
  acknowledge(message: Outgoing, now = Date.now()): void {
    const entries = this.sentFixes.get(message) ?? [];
    if (!this.receipts) {
      for (const entry of entries) entry.deleted = true;
      this.compact();
      return;
    }
    for (const entry of entries) {
      if (entry.deleted || entry.state !== 'in_flight') continue;
      entry.state = 'awaiting_receipt';
      entry.ackedAt = now;
    }
  }

  /** A message that was not acknowledged: its fixes stay in flash and are sent again (live ones are stored). */
  failed(message: Outgoing): void {
    for (const entry of this.sentFixes.get(message) ?? []) {
      if (entry.deleted) continue;
      entry.state = 'waiting';
      if (!this.receipts && message.kind === 'live') this.flash.push(entry);
    }
  }

  /**
   * The platform's receipt: deletes the fixes it names (by device time, and sequence where the receipt gives one)
   * from flash, whatever their state. Returns how many were deleted.
   */
  receipt(receipt: ReceiptPayload): number {
    const named = new Map<number, number | undefined>();
    for (const fix of receipt.fixes) named.set(fix.time, fix.sequence);
    let deleted = 0;
    for (const entry of this.flash) {
      if (!named.has(entry.timeMs)) continue;
      const sequence = named.get(entry.timeMs);
      if (sequence !== undefined && sequence !== entry.fix.sequence) continue;
      entry.deleted = true;
      deleted++;
    }
    if (deleted > 0) this.compact();
    return deleted;
  }

  /** When the first stored fix waiting for its receipt falls due to be sent again; undefined when none waits. */
  nextResendAt(): number | undefined {
    let next: number | undefined;
    for (const entry of this.flash)
      if (entry.state === 'awaiting_receipt') {
        const due = entry.ackedAt + this.timeoutOf(entry);
        if (next === undefined || due < next) next = due;
      }
    return next;
  }

  /** The receipt timeout of a fix: doubled with each send after the first, up to 16 times. */
  private timeoutOf(entry: StoredFix): number {
    return this.receiptTimeoutMs * 2 ** Math.min(Math.max(entry.sends - 1, 0), 4);
  }

  private compact(): void {
    this.flash = this.flash.filter((entry) => !entry.deleted);
  }

  private fixOf(input: TickInput): SimFix {
    const s = input.sample;
    const fix: SimFix = {
      time: new Date(s.timeMs).toISOString(),
      lat: s.lat,
      lon: s.lon,
      speed: Math.round(s.speed * 10) / 10,
      heading: Math.round(s.heading) % 360,
      altitude: s.altitude,
      hdop: s.hdop,
      satellites: s.satellites,
      ignition: input.ignition,
      externalVoltage: input.externalVoltage,
      battery: input.battery,
      events: [...(input.events ?? [])],
      sequence: this.sequence,
    };
    this.sequence = (this.sequence + 1) % 4294967296;
    return fix;
  }

  private encode(entries: StoredFix[], kind: Outgoing['kind']): Outgoing {
    const fixes = entries.map((entry) => entry.fix);
    const payload =
      this.encoding === 'json'
        ? Buffer.from(JSON.stringify(kind === 'live' && fixes.length === 1 ? fixes[0] : { fixes }), 'utf8')
        : writeAvlPacket({ codec: CODEC_8, records: fixes.map(avlRecord) });
    const message: Outgoing = { topic: this.topic, payload, fixes, kind };
    this.sentFixes.set(message, entries);
    return message;
  }
}

function stored(fix: SimFix): StoredFix {
  return { fix, timeMs: Date.parse(fix.time), state: 'waiting', ackedAt: 0, sends: 0, deleted: false };
}

function io(id: number, width: 1 | 2, value: number): AvlIoElement {
  const bytes = Buffer.alloc(width);
  if (width === 1) bytes.writeUInt8(value, 0);
  else bytes.writeUInt16BE(value, 0);
  return { id, width, bytes };
}

/** The AVL record a Teltonika tracker would send for a fix. */
export function avlRecord(fix: SimFix): AvlRecord {
  const elements: AvlIoElement[] = [
    io(IO.ignition, 1, fix.ignition ? 1 : 0),
    io(IO.externalVoltage, 2, Math.round(fix.externalVoltage * 1000)),
    io(IO.battery, 2, Math.round(fix.battery * 1000)),
    io(IO.hdop, 2, Math.round(fix.hdop * 10)),
  ];
  const unplugged = fix.events.includes('unplug') || fix.events.includes('power_cut');
  if (unplugged) elements.push(io(IO.unplug, 1, 1));
  if (fix.events.includes('towing')) elements.push(io(IO.towing, 1, 1));
  const ignitionEvent = fix.events.includes('ignition_on') || fix.events.includes('ignition_off');
  return {
    timestampMs: Date.parse(fix.time),
    priority: fix.events.includes('sos') ? 2 : 0,
    longitudeE7: Math.round(fix.lon * 1e7),
    latitudeE7: Math.round(fix.lat * 1e7),
    altitude: fix.altitude,
    angle: fix.heading,
    satellites: fix.satellites,
    speed: Math.round(fix.speed),
    eventIoId: ignitionEvent ? IO.ignition : unplugged ? IO.unplug : 0,
    io: elements,
  };
}
