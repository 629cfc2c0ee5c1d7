import { CustomTransportStrategy, MessageHandler, MqttContext, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DeviceMessage, DevicePublishOptions, DevicePublisher } from '@app/broker';

/** The topic filters of the inbound device channels, as ingest's message handlers declare them. */
export const DEVICE_PATTERNS = {
  fixes: 'devices/+/fixes',
  teltonika: 'devices/+/teltonika',
  status: 'devices/+/status',
} as const;

/** True when an MQTT topic filter (with `+` and `#` wildcards) matches a topic. */
export function topicMatches(filter: string, topic: string): boolean {
  return levelsMatch(filter.split('/'), topic.split('/'));
}

function levelsMatch(f: readonly string[], t: readonly string[]): boolean {
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * A Nest transport for device messages: it routes each message to the `@MessagePattern` handler whose topic
 * filter matches, and the message counts as handled only once the handler's result has completed — which is
 * when the transport acknowledges it. A failed handler leaves the message unacknowledged.
 */
export abstract class DeviceTransport extends Server implements CustomTransportStrategy, DevicePublisher {
  /** Where devices connect (for the startup banner and tests); set once listening. */
  brokerUrl: string | undefined;

  abstract publishToDevice(topic: string, payload: Buffer, options?: DevicePublishOptions): Promise<void>;

  on(): never {
    throw new Error('device transports have no events to subscribe to');
  }

  unwrap<T>(): T {
    throw new Error('device transports expose no client');
  }

  private routes: { levels: string[]; handler: MessageHandler }[] | undefined;

  /** Topic filters of the registered handlers. */
  protected patterns(): string[] {
    return [...this.messageHandlers.keys()];
  }

  /** Resolves when the matching handler has handled the message; rejects when it failed. */
  protected async dispatch(message: DeviceMessage, packet: Record<string, unknown>): Promise<void> {
    this.routes ??= [...this.messageHandlers.entries()].map(([filter, handler]) => ({
      levels: filter.split('/'),
      handler,
    }));
    const levels = message.topic.split('/');
    const handler = this.routes.find((route) => levelsMatch(route.levels, levels))?.handler;
    if (!handler) throw new Error(`no handler for topic ${message.topic}`);
    const result = this.transformToObservable(
      await handler(message, new MqttContext([message.topic, packet])),
    );
    await lastValueFrom(result, { defaultValue: undefined });
  }
}
