import type { PositionRow, Store } from '@app/db';
import { streamParams } from '@app/rules';
import { IngestCounters } from '../ingest-counters';
import { MemoryLiveStateStore } from '../live-state';
import type { RulesEvaluator } from '../rules.evaluator';
import { MachineStage } from '../stages/machine.stage';
import { integrityWriter, target } from '../stages/testing';
import { TrackerTargets } from '../tracker-targets';
import { Lanes } from './lanes';
import { LiveStateLoader } from './live-state-loader';
import { TrackerAdoption } from './tracker-adoption';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const DAY = 24 * 3_600_000;
const RECENT = '356307042441013';
const OLD = '490154203237518';
const SILENT = '350000000000001';
const OTHERS = '350000000000019';

describe(TrackerAdoption.name, () => {
  it('takes over the bound trackers it may serve that reported in the last week, rebuilding their states', async () => {
    const newest = new Map([
      [RECENT, new Date(NOW - DAY)],
      [OLD, new Date(NOW - 8 * DAY)],
      [OTHERS, new Date(NOW - DAY)],
    ]);
    const replayed: string[] = [];
    const store = {
      repos: {
        trackers: { boundImeis: async () => [RECENT, OLD, SILENT, OTHERS] },
        positions: {
          newestFixTimes: async (imeis: readonly string[]) =>
            new Map(imeis.flatMap((imei) => (newest.has(imei) ? [[imei, newest.get(imei)!] as const] : []))),
          replayable: async (requests: readonly { imei: string }[]): Promise<PositionRow[]> => {
            replayed.push(...requests.map((r) => r.imei));
            return [];
          },
        },
      },
    } as unknown as Store;
    const writer = integrityWriter();
    const liveStates = new MemoryLiveStateStore(10);
    const targets = new TrackerTargets(
      async (imeis) => new Map(imeis.map((imei) => [imei, target(`m-${imei}`)] as const)),
      10,
    );
    const rules = { params: streamParams() } as unknown as RulesEvaluator;
    const loader = new LiveStateLoader(liveStates, store, rules, writer, new IngestCounters());
    const lanes = new Lanes<unknown>(2, 10, {
      process: async () => undefined,
      settleFailed: async () => undefined,
    });
    const adoption = new TrackerAdoption(lanes, liveStates, store, new MachineStage(targets, writer), loader);

    const adopted = await adoption.adoptRecent((imei) => imei !== OTHERS, NOW);

    expect(adopted).toBe(1);
    expect(liveStates.held()).toEqual([RECENT]);
    expect(replayed).toEqual([RECENT]);
  });
});
