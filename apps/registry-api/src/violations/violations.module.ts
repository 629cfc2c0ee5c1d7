import { Module } from '@nestjs/common';
import { EvidenceModule } from '@app/evidence';
import { ZonesModule } from '../zones/zones.module';
import { AgencyDispatchController, DeliveriesController } from './agency-dispatch.controller';
import { LiveFeed } from './live-feed';
import { EvidenceKeyController, LiveFeedController, ViolationsController } from './violations.controller';
import { ViolationsService } from './violations.service';
import { NeedToKnowModule } from '../common/need-to-know';

/** Officers' side of violations, agencies' alert configuration and the dead-letter list. */
@Module({
  imports: [ZonesModule, EvidenceModule, NeedToKnowModule],
  controllers: [
    ViolationsController,
    EvidenceKeyController,
    LiveFeedController,
    AgencyDispatchController,
    DeliveriesController,
  ],
  providers: [ViolationsService, LiveFeed],
})
export class ViolationsModule {}
