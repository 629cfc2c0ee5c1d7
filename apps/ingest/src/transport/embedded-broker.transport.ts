import { DeviceMessage, EmbeddedBroker } from '@app/broker';
import { DeviceTransport } from './device-transport';

/**
 * The embedded mode's transport: the in-process broker hands each device publish to ingest's handlers and sends
 * the device's PUBACK only once the handler has stored the message.
 */
export class EmbeddedBrokerTransport extends DeviceTransport {
  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.broker.setMessageHandler((message: DeviceMessage) =>
        this.dispatch(message, { topic: message.topic, payload: message.payload }),
      );
      this.brokerUrl = await this.broker.listen(this.host, this.port);
      this.logger.log(`embedded MQTT broker (MQTT 3.1.1) on ${this.brokerUrl}`);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** The embedded broker speaks MQTT 3.1.1: a message to a device has no expiry. */
  publishToDevice(topic: string, payload: Buffer): Promise<void> {
    return this.broker.publishToDevice(topic, payload);
  }

  async close(): Promise<void> {
    // The broker belongs to the application's module graph and closes with it.
  }
}
