import { Module } from '@nestjs/common';
import { ZonesModule } from '../../registry-api/src/zones/zones.module';
import { AgencyAlertPublisher, WebhookSender } from './channels';
import { DispatchWorker } from './dispatch.worker';
import { EvidenceService } from './evidence.service';

/**
 * The dispatcher: delivers the outbox to agencies, escalates and seals evidence. Needs ConfigModule, DbModule
 * and BrokerModule; runs on its own (`npm run start:dispatcher`) or inside the main job.
 */
@Module({
  imports: [ZonesModule],
  providers: [DispatchWorker, EvidenceService, WebhookSender, AgencyAlertPublisher],
  exports: [DispatchWorker, EvidenceService],
})
export class DispatcherModule {}
