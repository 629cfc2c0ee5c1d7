import type { AppConfig } from '@app/config';
import type { DeviceChannel } from '@app/telemetry';
import type { IngestCountersSnapshot } from '../ingest-counters';

/** What a worker thread starts with. */
export interface WorkerData {
  /** The main thread's configuration, with `ingestWorkers` 0. */
  readonly config: AppConfig;
  /** Which share of the trackers the thread serves: `slotOfImei(imei, count) === index`. */
  readonly slot: { readonly index: number; readonly count: number };
}

/** A device message as it crosses to a worker thread. */
export interface WireMessage {
  readonly id: number;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly receivedAt: number;
  readonly authenticatedImei?: string;
  /** The topic as the main thread parsed it; absent when the topic was refused. */
  readonly imei?: string;
  readonly channel?: DeviceChannel;
}

/** A message to a device as it crosses from a worker to the main thread. */
export interface WireDeviceMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly expirySeconds?: number;
}

/** From the main thread to a worker. */
export type ToWorker =
  | { readonly type: 'messages'; readonly messages: readonly WireMessage[] }
  /** Finish what was sent, keep the live states, and exit. */
  | { readonly type: 'stop' };

/** From a worker to the main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  /** Messages handled for good (stored or rejected with a reason), and those that could not be stored. */
  | {
      readonly type: 'settled';
      readonly done: readonly number[];
      readonly failed: readonly { readonly id: number; readonly error: string }[];
      readonly counters: IngestCountersSnapshot;
    }
  /**
   * Messages to devices (rejection reports on `devices/{imei}/errors`, receipts on `devices/{imei}/receipts`),
   * published through the main thread's broker link; those of one turn of the worker's event loop go together.
   */
  | { readonly type: 'publish'; readonly messages: readonly WireDeviceMessage[] }
  | { readonly type: 'failed'; readonly error: string };
