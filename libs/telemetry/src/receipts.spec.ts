import { MAX_FIXES_PER_RECEIPT, readReceiptPayload, receiptPayloads } from './receipts';

const T0 = Date.parse('2026-11-22T04:59:00Z');

describe(receiptPayloads.name, () => {
  it('names each stored fix once by its device time, with its sequence when it had one', () => {
    expect(
      receiptPayloads([
        { time: T0, sequence: 7 },
        { time: T0 + 1000 },
        { time: T0, sequence: 7 },
        { time: T0 + 2000, sequence: 0 },
      ]),
    ).toEqual([
      { fixes: [{ time: T0, sequence: 7 }, { time: T0 + 1000 }, { time: T0 + 2000, sequence: 0 }] },
    ]);
  });

  it('cuts a flushed buffer into receipts of at most MAX_FIXES_PER_RECEIPT fixes', () => {
    const fixes = Array.from({ length: 2 * MAX_FIXES_PER_RECEIPT + 3 }, (_, i) => ({
      time: T0 + i * 60_000,
    }));
    const payloads = receiptPayloads(fixes);
    expect(payloads.map((p) => p.fixes.length)).toEqual([MAX_FIXES_PER_RECEIPT, MAX_FIXES_PER_RECEIPT, 3]);
    expect(payloads.flatMap((p) => p.fixes.map((f) => f.time))).toEqual(fixes.map((f) => f.time));
    expect(Buffer.byteLength(JSON.stringify(payloads[0]))).toBeLessThan(32 * 1024);
  });

  it('has nothing to say when nothing was stored', () => {
    expect(receiptPayloads([])).toEqual([]);
  });
});

describe(readReceiptPayload.name, () => {
  it('reads back what the platform sends', () => {
    const [payload] = receiptPayloads([{ time: T0, sequence: 3 }, { time: T0 + 1 }]);
    expect(readReceiptPayload(Buffer.from(JSON.stringify(payload)))).toEqual(payload);
  });

  it('skips entries that name no fix and refuses what is not a receipt', () => {
    expect(
      readReceiptPayload(
        Buffer.from(JSON.stringify({ fixes: [{ time: T0, sequence: 'x' }, { time: '2026' }, null, 3] })),
      ),
    ).toEqual({ fixes: [{ time: T0 }] });
    expect(readReceiptPayload(Buffer.from('not json'))).toBeUndefined();
    expect(readReceiptPayload(Buffer.from('{"acceptedFixes":1}'))).toBeUndefined();
  });
});
