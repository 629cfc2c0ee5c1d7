import { INGEST_COUNTERS, flattenCounters, nestCounters } from '@app/db';
import { IngestCounters, sumCounters } from './ingest-counters';

describe(IngestCounters.name, () => {
  it('keeps the counters the registry API reads back, and survives the flat rows it is stored as', () => {
    const counters = new IngestCounters();
    counters.messages = 3;
    counters.fixesStored = 20;
    counters.countRejection('out_of_range');
    counters.countRejection('out_of_range');
    counters.countRejection('storage_refused');
    const snapshot = counters.snapshot();
    const { rejections, ...totals } = snapshot;
    expect(Object.keys(totals).sort()).toEqual([...INGEST_COUNTERS].sort());

    const flat = flattenCounters({
      ...sumCounters([snapshot, snapshot]),
      embeddedBroker: { a: 1, b: { c: 2 } },
    });
    expect(flat).toMatchObject({ messages: 6, fixesStored: 40, 'rejections.out_of_range': 4 });
    expect(nestCounters(flat)).toEqual({
      ingest: { ...sumCounters([snapshot, snapshot]), rejections: { out_of_range: 4, storage_refused: 2 } },
      embeddedBroker: { a: 1, b: { c: 2 } },
    });
    expect(rejections).toEqual({ out_of_range: 2, storage_refused: 1 });
  });
});
