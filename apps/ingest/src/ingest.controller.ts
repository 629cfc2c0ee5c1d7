import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { EmbeddedBroker } from '@app/broker';
import { Roles } from '../../registry-api/src/auth/roles';
import { IngestIntake } from './ingest.intake';

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestController {
  constructor(
    private readonly intake: IngestIntake,
    private readonly broker: EmbeddedBroker,
  ) {}

  @Get('stats')
  @Roles('admin')
  stats() {
    return { ingest: this.intake.snapshot(), embeddedBroker: this.broker.counters };
  }
}
