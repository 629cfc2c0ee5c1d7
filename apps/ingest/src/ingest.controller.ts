import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { EmbeddedBroker } from '@app/broker';
import { Roles } from '../../registry-api/src/auth/roles';
import { IngestCounters } from './ingest-counters';

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestController {
  constructor(
    private readonly counters: IngestCounters,
    private readonly broker: EmbeddedBroker,
  ) {}

  @Get('stats')
  @Roles('admin')
  stats() {
    return { ingest: this.counters.snapshot(), embeddedBroker: this.broker.counters };
  }
}
