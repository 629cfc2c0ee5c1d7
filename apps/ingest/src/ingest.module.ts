import { Module } from '@nestjs/common';
import { DeviceMessageProcessor } from './device-message.processor';
import { IngestController } from './ingest.controller';
import { IngestCounters } from './ingest-counters';
import { IngestRuntime } from './ingest.runtime';

/** Ingest: device messages in, stored fixes out. Needs ConfigModule, DbModule and BrokerModule. */
@Module({
  controllers: [IngestController],
  providers: [IngestCounters, DeviceMessageProcessor, IngestRuntime],
  exports: [IngestCounters, DeviceMessageProcessor, IngestRuntime],
})
export class IngestModule {}
