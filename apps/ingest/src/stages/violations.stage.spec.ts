import type { Repositories, Store } from '@app/db';
import type { IntegrityEvent } from '@app/integrity';
import type { RuleEvent } from '@app/rules';
import type { IntegrityWriter } from '../integrity.writer';
import type { RulesEvaluator } from '../rules.evaluator';
import type { TelemetryRows } from './store.stage';
import { ViolationsStage } from './violations.stage';

/** A store recording whether it wrote in a transaction, and what. */
function recordingStore() {
  const log: string[] = [];
  const repos = (where: string) =>
    ({
      positions: {
        storeTelemetry: async () => {
          log.push(`${where}: telemetry`);
          return 2;
        },
      },
    }) as unknown as Repositories;
  const store = {
    repos: repos('statement'),
    transaction: async <T>(work: (r: Repositories) => Promise<T>) => {
      log.push('begin');
      const result = await work(repos('transaction'));
      log.push('commit');
      return result;
    },
  } as unknown as Store;
  const rules = {
    write: async (_: Repositories, verdicts: readonly unknown[]) => {
      if (verdicts.length > 0) log.push('verdicts');
    },
  } as unknown as RulesEvaluator;
  const integrity = {
    write: async (_: Repositories, alerts: readonly unknown[]) => {
      if (alerts.length > 0) log.push('alerts');
    },
  } as unknown as IntegrityWriter;
  return { log, stage: new ViolationsStage(store, rules, integrity) };
}

const rows: TelemetryRows = { messages: [], positions: [], stored: [] };

describe(ViolationsStage.name, () => {
  it('stores a batch that changes no violation in one statement, outside a transaction', async () => {
    const { log, stage } = recordingStore();

    expect(await stage.write(rows, [], [])).toBe(2);
    expect(log).toEqual(['statement: telemetry']);
  });

  it('stores fixes, verdicts and alerts in one transaction when any violation changes', async () => {
    const { log, stage } = recordingStore();
    const verdicts = [{ imei: '1', events: [{ type: 'verdict_open' } as RuleEvent] }];
    const alerts = [{ type: 'integrity_open' } as IntegrityEvent];

    expect(await stage.write(rows, verdicts, alerts)).toBe(2);
    expect(log).toEqual(['begin', 'transaction: telemetry', 'verdicts', 'alerts', 'commit']);
  });
});
