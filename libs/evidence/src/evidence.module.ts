import { Module } from '@nestjs/common';
import { EvidenceService } from './evidence.service';

/** Violations' sealed evidence; one `EvidenceService` for every module of the process that imports it. */
@Module({
  providers: [EvidenceService],
  exports: [EvidenceService],
})
export class EvidenceModule {}
