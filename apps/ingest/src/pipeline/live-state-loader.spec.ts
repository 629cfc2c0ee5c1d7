import fc from 'fast-check';
import type { AppConfig } from '@app/config';
import type { IngestTarget, NewPosition, PositionRow, Store } from '@app/db';
import { buildIndex } from '@app/geofence';
import { initialState } from '@app/rules';
import {
  AvlRecord,
  CODEC_8_EXTENDED,
  DEFAULT_LIMITS,
  TELTONIKA_IO,
  parseDeviceTopic,
  writeAvlPacket,
} from '@app/telemetry';
import { avlRecord, ioElement } from '@app/telemetry/testing/fixtures';
import { IngestCounters } from '../ingest-counters';
import { IntegrityWriter } from '../integrity.writer';
import { LiveState, MemoryLiveStateStore, serializeLiveState } from '../live-state';
import { RulesEvaluator } from '../rules.evaluator';
import type { IncomingMessage } from '../stages/batch-message';
import { decode } from '../stages/decode.stage';
import { IntegrityStage } from '../stages/integrity.stage';
import { MachineStage } from '../stages/machine.stage';
import { RulesStage } from '../stages/rules.stage';
import { TrackerTargets } from '../tracker-targets';
import { BatchStages, evaluateBatch } from './evaluate-batch';
import { LiveStateLoader } from './live-state-loader';

const IMEI = '356307042441013';
const TOPIC = `devices/${IMEI}/teltonika`;
const MACHINE = { id: 'm-1', category: 'excavator', declaredUse: null };
const TARGETS = new Map<string, IngestTarget>([
  [IMEI, { machine: MACHINE, intervalMovingSeconds: 30, intervalIgnitionOffSeconds: 300 }],
]);
/** Platform time at which the state is created (live) or rebuilt: episode and alert numbers start from it. */
const NOW = Date.parse('2026-11-22T12:00:00Z');
const T0 = Date.parse('2026-11-22T08:00:00Z');

/** A protected area around (-12.6, -69.2), so that the rules open, update and close violations. */
const index = buildIndex({
  version: 'test-1',
  zones: [
    {
      id: 'reserve',
      kind: 'protected_area',
      name: 'Reserve',
      authority: 'test',
      legalBasis: 'test',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [-69.22, -12.62],
            [-69.18, -12.62],
            [-69.18, -12.58],
            [-69.22, -12.58],
            [-69.22, -12.62],
          ],
        ],
      },
    },
  ],
});
const rules = new RulesEvaluator(
  { engine: { index } } as unknown as ConstructorParameters<typeof RulesEvaluator>[0],
  { violationUpdateSeconds: 600 } as AppConfig,
);
const integrity = new IntegrityWriter(rules, { integritySweepSeconds: 60 } as AppConfig);
/** Declared windows: none. */
const store = {
  repos: { declaredWindows: { machinesWithActive: async () => [], activeOverlapping: async () => [] } },
} as unknown as Store;

const stages: BatchStages = {
  machines: new MachineStage(new TrackerTargets(async () => TARGETS, 10), integrity),
  rules: new RulesStage(rules),
  integrity: new IntegrityStage(integrity, store),
  limits: DEFAULT_LIMITS,
};

/** What one fix of a Teltonika record says, as generated. */
interface FixSpec {
  gapMs: number;
  inside: boolean;
  jitterE7: number;
  speed: number;
  satellites: number;
  priority: number;
  ignition: number | undefined;
  gnssJamming: number | undefined;
  gsmJamming: number | undefined;
  externalMv: number | undefined;
  towing: number | undefined;
  unplug: number | undefined;
  sequence: number | undefined;
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const fixSpec: fc.Arbitrary<FixSpec> = fc.record({
  gapMs: fc.integer({ min: 1_000, max: 20 * 60_000 }),
  inside: fc.boolean(),
  jitterE7: fc.integer({ min: -50_000, max: 50_000 }),
  speed: fc.constantFrom(0, 3, 12, 40),
  satellites: fc.constantFrom(0, 3, 9, 12),
  priority: fc.constantFrom(0, 0, 0, 2),
  ignition: maybe(fc.constantFrom(0, 1)),
  gnssJamming: maybe(fc.constantFrom(0, 1, 2)),
  gsmJamming: maybe(fc.constantFrom(0, 1)),
  externalMv: maybe(fc.constantFrom(0, 3_500, 12_345, 24_100)),
  towing: maybe(fc.constantFrom(0, 1)),
  unplug: maybe(fc.constantFrom(0, 1)),
  sequence: maybe(fc.integer({ min: 0, max: 1000 })),
});

/** A tracker's stream: its fixes in device time, cut into messages and batches; some messages arrive late. */
interface Stream {
  fixes: FixSpec[];
  cuts: number[];
  batchSizes: number[];
  delaysMs: number[];
  lateSwaps: boolean[];
}

const stream: fc.Arbitrary<Stream> = fc.record({
  fixes: fc.array(fixSpec, { minLength: 1, maxLength: 40 }),
  cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 40, maxLength: 40 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 40, maxLength: 40 }),
  delaysMs: fc.array(fc.constantFrom(2_000, 2_000, 45 * 60_000), { minLength: 40, maxLength: 40 }),
  lateSwaps: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
});

function record(spec: FixSpec, time: number): AvlRecord {
  const io = [];
  if (spec.ignition !== undefined) io.push(ioElement(TELTONIKA_IO.ignition, 1, spec.ignition));
  if (spec.gnssJamming !== undefined) io.push(ioElement(TELTONIKA_IO.gnssJamming, 1, spec.gnssJamming));
  if (spec.gsmJamming !== undefined) io.push(ioElement(TELTONIKA_IO.gsmJamming, 1, spec.gsmJamming));
  if (spec.externalMv !== undefined) io.push(ioElement(TELTONIKA_IO.externalVoltage, 2, spec.externalMv));
  if (spec.towing !== undefined) io.push(ioElement(TELTONIKA_IO.towing, 1, spec.towing));
  if (spec.unplug !== undefined) io.push(ioElement(TELTONIKA_IO.unplug, 1, spec.unplug));
  if (spec.sequence !== undefined) io.push(ioElement(1000, 4, spec.sequence));
  return avlRecord({
    timestampMs: time,
    priority: spec.priority,
    latitudeE7: (spec.inside ? -126_000_000 : -124_000_000) + spec.jitterE7,
    longitudeE7: -692_000_000 + spec.jitterE7,
    speed: spec.speed,
    satellites: spec.satellites,
    io,
  });
}

/** The stream as batches of messages, in arrival order. */
function batchesOf(s: Stream): IncomingMessage[][] {
  let time = T0;
  const timed = s.fixes.map((spec) => ({ spec, time: (time += spec.gapMs) }));
  const messages: { records: AvlRecord[]; newest: number }[] = [];
  for (let i = 0, k = 0; i < timed.length; k++) {
    const part = timed.slice(i, i + (s.cuts[k] ?? 1));
    i += part.length;
    messages.push({ records: part.map((t) => record(t.spec, t.time)), newest: part[part.length - 1]!.time });
  }
  // A late message (buffered by the tracker) arrives after the next one.
  for (let k = 0; k + 1 < messages.length; k++)
    if (s.lateSwaps[k]) [messages[k], messages[k + 1]] = [messages[k + 1]!, messages[k]!];
  let arrival = T0;
  const incoming = messages.map((m, k): IncomingMessage => {
    arrival = Math.max(arrival + 1_000, m.newest + (s.delaysMs[k] ?? 2_000));
    return {
      message: {
        topic: TOPIC,
        payload: writeAvlPacket({ codec: CODEC_8_EXTENDED, records: m.records }),
        receivedAt: new Date(arrival),
      },
      topic: parseDeviceTopic(TOPIC),
    };
  });
  const batches: IncomingMessage[][] = [];
  for (let i = 0, k = 0; i < incoming.length; k++) {
    const size = s.batchSizes[k] ?? 1;
    batches.push(incoming.slice(i, i + size));
    i += size;
  }
  return batches;
}

/** The state of a tracker first seen at `NOW`, as `LiveStateLoader.load` makes it when nothing is stored. */
function freshState(): LiveState {
  const state = initialState(IMEI);
  state.seq = NOW;
  return {
    imei: IMEI,
    machineId: MACHINE.id,
    lastFix: undefined,
    rules: state,
    integrity: undefined,
    cursor: 0,
  };
}

/** Ingests the batches through the stages as the pipeline does; returns the live state and the rows stored. */
async function ingest(
  batches: readonly IncomingMessage[][],
): Promise<{ state: LiveState; rows: NewPosition[] }> {
  const state = freshState();
  const states = new Map([[IMEI, state]]);
  const stored: NewPosition[] = [];
  for (const incoming of batches) {
    const { rows } = await evaluateBatch(stages, incoming.map(decode), states, TARGETS, NOW);
    stored.push(...rows.positions);
  }
  return { state, rows: stored };
}

/** A row as PostgreSQL returns it: bigint as text, in the order `PositionsRepository.replayable` reads. */
function readBack(rows: readonly NewPosition[]): PositionRow[] {
  return rows
    .map((row): PositionRow => ({
      ...row,
      h3_cell: row.h3_cell ?? null,
      speed_kmh: row.speed_kmh ?? null,
      heading_deg: row.heading_deg ?? null,
      altitude_m: row.altitude_m ?? null,
      hdop: row.hdop ?? null,
      pdop: row.pdop ?? null,
      satellites: row.satellites ?? null,
      ignition: row.ignition ?? null,
      external_voltage_v: row.external_voltage_v ?? null,
      battery_v: row.battery_v ?? null,
      fix_time: new Date(row.fix_time),
      received_at: new Date(row.received_at),
      events: [...row.events],
      flags: [...row.flags],
      sequence: row.sequence === null || row.sequence === undefined ? null : String(row.sequence),
      gnss_jamming: row.gnss_jamming ?? null,
      gsm_jamming: row.gsm_jamming ?? null,
      stored_at: new Date(NOW),
    }))
    .sort(
      (a, b) =>
        a.received_at.getTime() - b.received_at.getTime() ||
        a.message_id.localeCompare(b.message_id) ||
        a.message_index - b.message_index,
    );
}

/** The state as a snapshot keeps it, and the machine the detectors judged by. */
const comparable = (state: LiveState) => ({
  snapshot: JSON.parse(serializeLiveState(state)),
  machine: state.machine,
});

describe(LiveStateLoader.name, () => {
  const loader = new LiveStateLoader(
    new MemoryLiveStateStore(10),
    store,
    rules,
    integrity,
    new IngestCounters(),
  );

  it('rebuilds from the stored rows the live state built while ingesting the same fixes, jamming states included', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async (s) => {
        const { state: live, rows } = await ingest(batchesOf(s));
        const rebuilt = freshState();

        loader.replay(rebuilt, readBack(rows), TARGETS, NOW);

        expect(comparable(rebuilt)).toEqual(comparable(live));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps what the tracker said of jamming in the rebuilt state', async () => {
    const jammed: FixSpec = {
      gapMs: 60_000,
      inside: false,
      jitterE7: 0,
      speed: 0,
      satellites: 3,
      priority: 0,
      ignition: 1,
      gnssJamming: 2,
      gsmJamming: 1,
      externalMv: 12_345,
      towing: undefined,
      unplug: undefined,
      sequence: undefined,
    };
    const fixes = Array.from({ length: 12 }, () => jammed);
    const ones = Array.from({ length: 40 }, () => 1);
    const { state: live, rows } = await ingest(
      batchesOf({
        fixes,
        cuts: ones,
        batchSizes: ones,
        delaysMs: ones.map(() => 2_000),
        lateSwaps: ones.map(() => false),
      }),
    );
    const rebuilt = freshState();

    loader.replay(rebuilt, readBack(rows), TARGETS, NOW);

    expect(JSON.stringify(live.integrity)).toContain('"gnssJamming":"critical"');
    expect(comparable(rebuilt)).toEqual(comparable(live));
  });
});
