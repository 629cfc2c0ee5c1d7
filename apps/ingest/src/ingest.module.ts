import { Module } from '@nestjs/common';
import { DeviceTelemetryController } from './device-telemetry.controller';
import { IngestCoreModule } from './ingest-core.module';
import { IngestIntake } from './ingest.intake';
import { IngestRuntime } from './ingest.runtime';
import { IngestStatsRecorder } from './ingest-stats.recorder';

/**
 * Ingest: device messages in; stored fixes, violations (rule verdicts and integrity alerts) and outbox events out. Needs ConfigModule, DbModule and
 * BrokerModule; `startIngest` attaches its transport once the application is initialised.
 */
@Module({
  imports: [IngestCoreModule],
  controllers: [DeviceTelemetryController],
  providers: [IngestIntake, IngestRuntime, IngestStatsRecorder],
  exports: [IngestCoreModule, IngestIntake, IngestRuntime, IngestStatsRecorder],
})
export class IngestModule {}
