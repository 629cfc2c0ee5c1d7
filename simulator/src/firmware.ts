import { AvlIoElement, AvlRecord, CODEC_8, FixEvent, writeAvlPacket } from '@app/telemetry';
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
}

export const MAX_JSON_BATCH = 500;
export const MAX_AVL_RECORDS = 255;

/** Teltonika AVL ids the platform maps (docs/device-protocol.md section 6). */
const IO = { ignition: 239, externalVoltage: 66, battery: 67, hdop: 182, unplug: 252, towing: 246 } as const;

/**
 * Tracker firmware: one fix per tick, live while in coverage; while out of coverage fixes are kept in flash and
 * flushed later, oldest first, in batches, each deleted only once acknowledged. The live fix of a tick goes
 * before the backlog, so the platform receives positions out of order.
 */
export class TrackerFirmware {
  private sequence = 0;
  private readonly flash: SimFix[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;

  constructor(
    readonly imei: string,
    readonly encoding: Encoding,
    options: FirmwareOptions = {},
  ) {
    const limit = encoding === 'teltonika' ? MAX_AVL_RECORDS : MAX_JSON_BATCH;
    this.maxBatch = Math.min(options.maxBatch ?? limit, limit);
    if (this.maxBatch < 1) throw new RangeError('maxBatch must be at least 1');
  }

  /** Fixes waiting in flash. */
  get buffered(): number {
    return this.flash.length;
  }

  get topic(): string {
    return `devices/${this.imei}/${this.encoding === 'json' ? 'fixes' : 'teltonika'}`;
  }

  /** Records the tick's fix. Returns the live message when in coverage, nothing otherwise. */
  tick(input: TickInput): Outgoing | undefined {
    if (input.reboot) this.sequence = 0;
    if (input.off) return undefined;
    const fix = this.fixOf(input);
    if (!input.coverage) {
      this.flash.push(fix);
      return undefined;
    }
    return this.encode([fix], 'live');
  }

  /** The oldest stored fixes not yet in flight, as one message; call `acknowledge` once its PUBACK is in. */
  nextBacklog(): Outgoing | undefined {
    const batch = this.flash.slice(this.inFlight, this.inFlight + this.maxBatch);
    if (batch.length === 0) return undefined;
    this.inFlight += batch.length;
    return this.encode(batch, 'backlog');
  }

  /** Deletes an acknowledged backlog message from flash (oldest first, in the order they were taken). */
  acknowledge(message: Outgoing): void {
    if (message.kind !== 'backlog') return;
    this.flash.splice(0, message.fixes.length);
    this.inFlight -= message.fixes.length;
  }

  /** A message that was not acknowledged: its fixes stay in flash and are sent again (live ones are stored). */
  failed(message: Outgoing): void {
    if (message.kind === 'backlog') {
      this.inFlight = 0;
      return;
    }
    this.flash.push(...message.fixes);
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

  private encode(fixes: SimFix[], kind: Outgoing['kind']): Outgoing {
    const payload =
      this.encoding === 'json'
        ? Buffer.from(JSON.stringify(kind === 'live' && fixes.length === 1 ? fixes[0] : { fixes }), 'utf8')
        : writeAvlPacket({ codec: CODEC_8, records: fixes.map(avlRecord) });
    return { topic: this.topic, payload, fixes, kind };
  }
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
