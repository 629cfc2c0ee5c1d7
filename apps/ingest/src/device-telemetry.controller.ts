import { ArgumentsHost, Catch, Controller, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import type { DeviceMessage } from '@app/broker';
import { IngestIntake } from './ingest.intake';
import { DEVICE_PATTERNS } from './transport/device-transport';

/**
 * A message that could not be stored goes back to its transport unacknowledged; the transport reports it, once,
 * without the stack trace Nest would log for every message of an outage.
 */
@Catch()
class UnstoredMessageFilter implements RpcExceptionFilter<unknown> {
  catch(error: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => error);
  }
}

/**
 * Device messages in, whichever transport brought them. Each handler completes once the message is stored (or
 * rejected with a reason); the transport acknowledges it only then.
 */
@Controller()
@UseFilters(new UnstoredMessageFilter())
export class DeviceTelemetryController {
  constructor(private readonly intake: IngestIntake) {}

  @MessagePattern(DEVICE_PATTERNS.fixes)
  fixes(@Payload() message: DeviceMessage): Promise<void> {
    return this.intake.submit(message);
  }

  @MessagePattern(DEVICE_PATTERNS.teltonika)
  teltonika(@Payload() message: DeviceMessage): Promise<void> {
    return this.intake.submit(message);
  }

  @MessagePattern(DEVICE_PATTERNS.status)
  status(@Payload() message: DeviceMessage): Promise<void> {
    return this.intake.submit(message);
  }
}
