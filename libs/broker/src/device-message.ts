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

/** How a message to a device is published. */
export interface DevicePublishOptions {
  /**
   * Seconds the broker keeps the message for a device that is away (MQTT 5 Message Expiry Interval), so that the
   * queue of a tracker that stays offline is bounded; brokers that speak MQTT 3.1.1 only (the embedded one) keep it
   * as long as the device's session.
   */
  readonly expirySeconds?: number;
}

/** Sends a message (QoS 1) to a device's own topic (its `errors` or `receipts` topic). */
export interface DevicePublisher {
  publishToDevice(topic: string, payload: Buffer, options?: DevicePublishOptions): Promise<void>;
}
