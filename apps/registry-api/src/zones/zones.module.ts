import { Module } from '@nestjs/common';
import { ZoneCatalogueModule } from '@app/zones';
import { ZonesController } from './zones.controller';
import { ZonesService } from './zones.service';

@Module({
  imports: [ZoneCatalogueModule],
  controllers: [ZonesController],
  providers: [ZonesService],
  exports: [ZonesService, ZoneCatalogueModule],
})
export class ZonesModule {}
