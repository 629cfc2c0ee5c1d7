import { Store } from '@app/db';
import { integritySweep } from '@app/integrity';
import { IntegrityRun, IntegrityWriter } from '../integrity.writer';
import { LiveStateStore } from '../live-state';
import { IntegrityStage } from '../stages/integrity.stage';
import { ViolationsStage } from '../stages/violations.stage';
import { committing } from './live-state-holding';
import { Lanes } from './lanes';

/** Trackers swept in one turn of a writer. */
const SWEEP_SLICE = 1000;

/**
 * The periodic integrity sweep, the only way a tracker that went silent is noticed: the live states this
 * instance holds are swept (`integritySweep` at platform time `now`) and the went-dark alerts raised are written.
 * Each writer sweeps its own trackers between two of its batches, in slices, so a sweep never interleaves with a
 * tracker's fixes and a writer's batches wait for one slice at most.
 */
export class IntegritySweep {
  constructor(
    private readonly lanes: Lanes<unknown>,
    private readonly liveStates: LiveStateStore,
    private readonly store: Store,
    private readonly integrity: IntegrityWriter,
    private readonly integrityStage: IntegrityStage,
    private readonly violations: ViolationsStage,
  ) {}

  async sweep(now: number): Promise<void> {
    await this.integrity.refreshWindowMachines(this.store.repos, now, true);
    const byLane = this.lanes.byLane(this.liveStates.held());
    await Promise.all(
      byLane.flatMap((imeis, lane) => {
        const slices: Promise<void>[] = [];
        for (let k = 0; k < imeis.length; k += SWEEP_SLICE) {
          const slice = imeis.slice(k, k + SWEEP_SLICE);
          slices.push(this.lanes.exclusive(lane, () => this.sweepSlice(slice, now)));
        }
        return slices;
      }),
    );
  }

  private async sweepSlice(imeis: readonly string[], now: number): Promise<void> {
    try {
      await this.sweepLoaded(imeis, now);
    } finally {
      this.liveStates.settled(imeis);
    }
  }

  private async sweepLoaded(imeis: readonly string[], now: number): Promise<void> {
    // With Redis, a state another instance has written since is not this instance's to sweep.
    const loaded = await this.liveStates.load(imeis);
    const states = imeis.flatMap((imei) => {
      const entry = loaded.get(imei);
      return entry?.state && !entry.replay && entry.state.integrity && entry.state.machine
        ? [entry.state]
        : [];
    });
    const sweep: IntegrityRun = (state, ctx) => integritySweep(state, now, ctx);
    const alerts = await this.integrityStage.run(
      states.map((state) => ({ state, run: sweep })),
      now,
    );
    if (alerts.length === 0) return;
    const changed = [...new Set(alerts.map((a) => a.state))];
    await committing(this.liveStates, changed, () =>
      this.violations.writeAlerts(alerts.flatMap((a) => a.events)),
    );
  }
}
