import type { DeviceMessage } from '@app/broker';
import type { DeviceChannel, Fix, DeviceStatus, FixDraft, Rejection, TopicParseResult } from '@app/telemetry';
import type { MachineOfTracker } from '../rules.evaluator';

/** A device message as it enters the pipeline: with its topic, parsed once where the message came in. */
export interface IncomingMessage {
  readonly message: DeviceMessage;
  readonly topic: TopicParseResult;
}

/**
 * One message of a batch on its way through the stages, each filling in its part: the decode stage reads the
 * payload (`drafts`, `status`, `rejections`), the machine stage says whose tracker it is (`machine`), the
 * plausibility stage completes the drafts into `fixes`. One object per message, completed in place.
 */
export interface BatchMessage {
  readonly message: DeviceMessage;
  /** The tracker the topic names; undefined when the topic itself was refused. */
  readonly imei: string | undefined;
  readonly channel: DeviceChannel | undefined;
  /** Set for a valid message on the `status` channel. */
  readonly status: DeviceStatus | undefined;
  readonly rejections: Rejection[];
  /** The fixes as decoded, before the plausibility check. */
  drafts: FixDraft[];
  /** The fixes once checked for plausibility (flagged, never dropped): the same objects as `drafts`. */
  fixes: Fix[];
  /**
   * Set by the machine stage when the tracker is registered: its machine, or null when it is bound to none.
   * Undefined for a tracker the registry does not know: nothing of its message is stored.
   */
  machine?: MachineOfTracker | null;
}
