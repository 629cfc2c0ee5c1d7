/** One MQTT message published by a device, as the broker received it. */
export interface DeviceMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
  /** The IMEI the broker authenticated the publisher as, where the broker tells (embedded broker). */
  readonly authenticatedImei?: string;
}

/**
 * Processes a device message. Resolving means the message is handled for good (stored, or rejected with a
 * reason) and may be acknowledged to the device; rejecting means it must not be acknowledged.
 */
export type DeviceMessageHandler = (message: DeviceMessage) => Promise<void>;

/** Sends a message to a device's own topic (its `errors` topic). */
export interface DevicePublisher {
  publishToDevice(topic: string, payload: Buffer): Promise<void>;
}
