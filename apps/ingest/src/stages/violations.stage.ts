import { Repositories, Store } from '@app/db';
import { IntegrityEvent } from '@app/integrity';
import { IntegrityWriter } from '../integrity.writer';
import { RulesEvaluator } from '../rules.evaluator';
import type { TrackerVerdicts } from './rules.stage';
import { TelemetryRows, storeTelemetry } from './store.stage';

/**
 * Stage 7, violations and outbox: stores the batch's messages and fixes together with what its verdicts and
 * integrity alerts change (violations opened, updated, closed, each with its outbox event for the dispatcher),
 * atomically: one statement when nothing changed (the common case), else one transaction.
 */
export class ViolationsStage {
  constructor(
    private readonly store: Store,
    private readonly rules: RulesEvaluator,
    private readonly integrity: IntegrityWriter,
  ) {}

  /** Returns how many of the batch's fixes were new. */
  write(
    rows: TelemetryRows,
    verdicts: readonly TrackerVerdicts[],
    alerts: readonly IntegrityEvent[],
  ): Promise<number> {
    const write = async (repos: Repositories) => {
      const stored = await storeTelemetry(repos, rows);
      await this.rules.write(repos, verdicts);
      await this.integrity.write(repos, alerts);
      return stored;
    };
    return verdicts.length === 0 && alerts.length === 0
      ? write(this.store.repos)
      : this.store.transaction(write);
  }

  /** Writes integrity alerts raised outside a batch (the went-dark sweep), in one transaction. */
  async writeAlerts(alerts: readonly IntegrityEvent[]): Promise<void> {
    await this.store.transaction((repos) => this.integrity.write(repos, alerts));
  }
}
