import { DecodeContext, decodeDevicePayload } from '@app/telemetry';
import type { BatchMessage, IncomingMessage } from './batch-message';

/**
 * Stage 1, decode: reads a message's payload for its channel (JSON fixes, Teltonika AVL packets, status) into
 * fix drafts, a status, and rejections with reasons. A refused topic, or a topic naming another tracker than the
 * one the broker authenticated, yields only its rejection. Pure; the fixes' plausibility is the next stage's.
 */
export function decode(incoming: IncomingMessage): BatchMessage {
  const { message, topic } = incoming;
  if (!topic.ok)
    return {
      message,
      imei: undefined,
      channel: undefined,
      status: undefined,
      rejections: [topic.rejection],
      drafts: [],
      fixes: [],
    };
  const context: DecodeContext = {};
  if (message.authenticatedImei !== undefined) context.authenticatedImei = message.authenticatedImei;
  const result = decodeDevicePayload(topic.topic, message.payload, message.receivedAt, context);
  return {
    message,
    imei: result.imei,
    channel: result.channel,
    status: result.status,
    rejections: result.rejections,
    drafts: result.drafts,
    fixes: [],
  };
}
