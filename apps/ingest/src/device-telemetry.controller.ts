import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { DeviceMessage } from '@app/broker';
import { IngestPipeline } from './ingest.pipeline';
import { DEVICE_PATTERNS } from './transport/device-transport';

/**
 * Device messages in, whichever transport brought them. Each handler completes once the message is stored (or
 * rejected with a reason); the transport acknowledges it only then.
 */
@Controller()
export class DeviceTelemetryController {
  constructor(private readonly pipeline: IngestPipeline) {}

  @MessagePattern(DEVICE_PATTERNS.fixes)
  fixes(@Payload() message: DeviceMessage): Promise<void> {
    return this.pipeline.submit(message);
  }

  @MessagePattern(DEVICE_PATTERNS.teltonika)
  teltonika(@Payload() message: DeviceMessage): Promise<void> {
    return this.pipeline.submit(message);
  }

  @MessagePattern(DEVICE_PATTERNS.status)
  status(@Payload() message: DeviceMessage): Promise<void> {
    return this.pipeline.submit(message);
  }
}
