import { Store } from '@app/db';
import { LiveStateStore } from '../live-state';
import { MachineStage } from '../stages/machine.stage';
import { holdingStates } from './live-state-holding';
import { LiveStateLoader } from './live-state-loader';
import { Lanes } from './lanes';

/** How recent a tracker's last fix must be for ingest to take it over at start and watch it for going dark. */
const ADOPT_WITHIN_MS = 7 * 24 * 3_600_000;
/** Trackers whose states are rebuilt in one turn of a writer when taken over. */
const ADOPT_SLICE = 500;

/**
 * Takes over, at start, the trackers that reported in the last week, that this instance may serve (`owns`: its
 * share when worker threads split them; with Redis, not those another instance served last) and holds no state
 * for. Their states are rebuilt from the stored positions, a slice at a time on each tracker's writer, so the
 * went-dark sweep also watches a tracker that fell silent while ingest was down, or that never reports again.
 */
export class TrackerAdoption {
  constructor(
    private readonly lanes: Lanes<unknown>,
    private readonly liveStates: LiveStateStore,
    private readonly store: Store,
    private readonly machines: MachineStage,
    private readonly loader: LiveStateLoader,
  ) {}

  /** Returns how many trackers were taken over. */
  async adoptRecent(owns: (imei: string) => boolean, now: number): Promise<number> {
    const bound = (await this.store.repos.trackers.boundImeis()).filter(owns);
    let adopted = 0;
    for (let i = 0; i < bound.length; i += ADOPT_SLICE) {
      const candidates = await this.liveStates.adoptable(bound.slice(i, i + ADOPT_SLICE));
      const newest = await this.store.repos.positions.newestFixTimes(candidates);
      const recent = candidates.filter((imei) => (newest.get(imei)?.getTime() ?? 0) >= now - ADOPT_WITHIN_MS);
      await Promise.all(
        this.lanes.byLane(recent).map((imeis, lane) => {
          if (imeis.length === 0) return undefined;
          return this.lanes.exclusive(lane, async () => {
            adopted += await this.adopt(imeis, now);
          });
        }),
      );
    }
    return adopted;
  }

  private async adopt(imeis: readonly string[], now: number): Promise<number> {
    const targets = await this.machines.targetsOf(imeis, now);
    const known = imeis.filter((imei) => targets.get(imei)?.machine);
    await holdingStates(this.liveStates, known, async () => {
      const states = await this.loader.load(known, targets, now);
      await this.liveStates.committed([...states.values()]);
    });
    return known.length;
  }
}
