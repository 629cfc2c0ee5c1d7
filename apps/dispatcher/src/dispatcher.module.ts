import { Module } from '@nestjs/common';
import { EvidenceModule } from '@app/evidence';
import { AgencyAlertPublisher, WebhookSender } from './channels';
import { DispatchWorker } from './dispatch.worker';

/**
 * The dispatcher: delivers the outbox to agencies, escalates and seals evidence. Needs ConfigModule, DbModule
 * and BrokerModule; runs on its own (`npm run start:dispatcher`) or inside the main job.
 */
@Module({
  imports: [EvidenceModule],
  providers: [DispatchWorker, WebhookSender, AgencyAlertPublisher],
  exports: [DispatchWorker, EvidenceModule],
})
export class DispatcherModule {}
