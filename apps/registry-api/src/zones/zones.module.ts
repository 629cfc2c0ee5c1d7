import { Module } from '@nestjs/common';
import { ZoneCatalogueService } from './zone-catalogue.service';
import { ZonesController } from './zones.controller';

@Module({
  controllers: [ZonesController],
  providers: [ZoneCatalogueService],
  exports: [ZoneCatalogueService],
})
export class ZonesModule {}
