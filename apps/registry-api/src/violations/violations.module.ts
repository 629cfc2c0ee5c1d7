import { Module } from '@nestjs/common';
import { EvidenceService } from '../../../dispatcher/src/evidence.service';
import { ZonesModule } from '../zones/zones.module';
import { AgencyDispatchController, DeliveriesController } from './agency-dispatch.controller';
import { LiveFeed } from './live-feed';
import { EvidenceKeyController, LiveFeedController, ViolationsController } from './violations.controller';
import { ViolationsService } from './violations.service';

/** Officers' side of violations, agencies' alert configuration and the dead-letter list. */
@Module({
  imports: [ZonesModule],
  controllers: [
    ViolationsController,
    EvidenceKeyController,
    LiveFeedController,
    AgencyDispatchController,
    DeliveriesController,
  ],
  providers: [ViolationsService, EvidenceService, LiveFeed],
})
export class ViolationsModule {}
