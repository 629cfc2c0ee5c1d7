import { Logger } from '@nestjs/common';
import { decode } from '../stages/decode.stage';
import { checkPlausibility } from '../stages/plausibility.stage';
import { telemetryRows } from '../stages/store.stage';
import { IMEI, OTHER_IMEI, incoming, jsonFix } from '../stages/testing';
import { DeviceReceipts, FailedPublishes, RECEIPT_EXPIRY_SECONDS } from './device-receipts';

function checked(topic: string, body: unknown, registered: boolean) {
  const item = decode(incoming(topic, body));
  if (registered) item.machine = { id: 'm-1', category: 'excavator', declaredUse: null };
  checkPlausibility(item, undefined);
  return item;
}

const T = (minute: number) => `2026-11-22T05:${String(minute).padStart(2, '0')}:00Z`;

describe(DeviceReceipts.name, () => {
  function withPublisher() {
    const published: { topic: string; payload: unknown; expirySeconds: number | undefined }[] = [];
    const receipts = new DeviceReceipts();
    receipts.usePublisher({
      publishToDevice: async (topic, payload, options) =>
        void published.push({
          topic,
          payload: JSON.parse(payload.toString()),
          expirySeconds: options?.expirySeconds,
        }),
    });
    return { receipts, published };
  }

  it('sends each tracker of a batch one receipt naming its stored fixes, not its refused ones, nothing to an unknown tracker', async () => {
    const { receipts, published } = withPublisher();
    const batch = [
      checked(`devices/${IMEI}/fixes`, { ...jsonFix(T(0), -12.6, -69.2), sequence: 41 }, true),
      checked(
        `devices/${IMEI}/fixes`,
        {
          fixes: [
            { ...jsonFix(T(1), -12.6, -69.2), sequence: 42 },
            { lat: 1, sequence: 43 },
            jsonFix(T(2), 1, 1),
          ],
        },
        true,
      ),
      // A re-send of a fix already in this batch (or already stored): receipted once.
      checked(`devices/${IMEI}/fixes`, { ...jsonFix(T(0), -12.6, -69.2), sequence: 41 }, true),
      checked(`devices/${OTHER_IMEI}/fixes`, jsonFix(T(0), -12.6, -69.2), false),
      checked(`devices/${IMEI}/status`, { state: 'online' }, true),
    ];

    receipts.send(telemetryRows(batch).stored);
    await new Promise((resolve) => setImmediate(resolve));

    expect(published).toEqual([
      {
        topic: `devices/${IMEI}/receipts`,
        payload: {
          fixes: [
            { time: Date.parse(T(0)), sequence: 41 },
            { time: Date.parse(T(1)), sequence: 42 },
            { time: Date.parse(T(2)) },
          ],
        },
        expirySeconds: RECEIPT_EXPIRY_SECONDS,
      },
    ]);
  });

  it('sends nothing for a batch that stored nothing, and does not throw when the broker is unreachable', async () => {
    const receipts = new DeviceReceipts();
    const failed = jest.fn();
    receipts.usePublisher({
      publishToDevice: () => {
        failed();
        return Promise.reject(new Error('not connected to the broker'));
      },
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      receipts.send([]);
      expect(failed).not.toHaveBeenCalled();
      receipts.send(telemetryRows([checked(`devices/${IMEI}/fixes`, jsonFix(T(0), 1, 1), true)]).stored);
      await new Promise((resolve) => setImmediate(resolve));
      expect(failed).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`devices/${IMEI}/receipts`));
    } finally {
      warn.mockRestore();
    }
  });
});

describe(FailedPublishes.name, () => {
  it('logs failures at most once per interval, with how many there were', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const failures = new FailedPublishes(10_000);
      failures.failed('devices/a/receipts', new Error('down'), 100_000);
      for (let i = 1; i <= 5; i++) failures.failed('devices/b/receipts', new Error('down'), 100_000 + i);
      failures.failed('devices/c/receipts', new Error('down'), 110_001);
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringMatching(
          /^could not publish 1 message\(s\) to devices, the last to devices\/a\/receipts/,
        ),
        expect.stringMatching(
          /^could not publish 6 message\(s\) to devices, the last to devices\/c\/receipts/,
        ),
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
