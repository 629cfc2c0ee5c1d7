import { Module } from '@nestjs/common';
import { IngestCounters } from './ingest-counters';
import { IngestPipeline } from './ingest.pipeline';
import { IntegrityWriter } from './integrity.writer';
import { RulesEvaluator } from './rules.evaluator';
import { ZoneCatalogueModule } from '@app/zones';

/**
 * The pipeline that stores and evaluates device messages, without a transport: ingest's main thread, or each of
 * its worker threads (INGEST_WORKERS). Needs ConfigModule and DbModule.
 */
@Module({
  imports: [ZoneCatalogueModule],
  providers: [IngestCounters, IngestPipeline, IntegrityWriter, RulesEvaluator],
  exports: [IngestCounters, IngestPipeline, ZoneCatalogueModule],
})
export class IngestCoreModule {}
