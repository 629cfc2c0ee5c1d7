import { Module } from '@nestjs/common';
import { DeviceTelemetryController } from './device-telemetry.controller';
import { IngestController } from './ingest.controller';
import { IngestCoreModule } from './ingest-core.module';
import { IngestIntake } from './ingest.intake';
import { IngestRuntime } from './ingest.runtime';

/**
 * Ingest: device messages in; stored fixes, violations (rule verdicts and integrity alerts) and outbox events out. Needs ConfigModule, DbModule and
 * BrokerModule; `startIngest` attaches its transport once the application is initialised.
 */
@Module({
  imports: [IngestCoreModule],
  controllers: [IngestController, DeviceTelemetryController],
  providers: [IngestIntake, IngestRuntime],
  exports: [IngestCoreModule, IngestIntake, IngestRuntime],
})
export class IngestModule {}
