import { Module } from '@nestjs/common';
import { DeviceTelemetryController } from './device-telemetry.controller';
import { IngestController } from './ingest.controller';
import { IngestCounters } from './ingest-counters';
import { IngestPipeline } from './ingest.pipeline';
import { IngestRuntime } from './ingest.runtime';
import { IntegrityWriter } from './integrity.writer';
import { RulesEvaluator } from './rules.evaluator';
import { ZonesModule } from '../../registry-api/src/zones/zones.module';

/**
 * Ingest: device messages in; stored fixes, violations (rule verdicts and integrity alerts) and outbox events out. Needs ConfigModule, DbModule and
 * BrokerModule; `startIngest` attaches its transport once the application is initialised.
 */
@Module({
  imports: [ZonesModule],
  controllers: [IngestController, DeviceTelemetryController],
  providers: [IngestCounters, IngestPipeline, IngestRuntime, IntegrityWriter, RulesEvaluator],
  exports: [IngestCounters, IngestPipeline, IngestRuntime],
})
export class IngestModule {}
