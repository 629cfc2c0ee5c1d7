import { Module } from '@nestjs/common';
import { DeviceMessageProcessor } from './device-message.processor';
import { IngestController } from './ingest.controller';
import { IngestCounters } from './ingest-counters';
import { IngestRuntime } from './ingest.runtime';
import { RulesEvaluator } from './rules.evaluator';
import { ZonesModule } from '../../registry-api/src/zones/zones.module';

/** Ingest: device messages in; stored fixes, violations and outbox events out. Needs ConfigModule, DbModule and BrokerModule. */
@Module({
  imports: [ZonesModule],
  controllers: [IngestController],
  providers: [IngestCounters, DeviceMessageProcessor, IngestRuntime, RulesEvaluator],
  exports: [IngestCounters, DeviceMessageProcessor, IngestRuntime],
})
export class IngestModule {}
