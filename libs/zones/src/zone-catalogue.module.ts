import { Module } from '@nestjs/common';
import { ZoneCatalogueService } from './zone-catalogue.service';

/**
 * The zone catalogue at run time: the geofence index of the active version, kept current as versions are
 * activated in any process. Needs ConfigModule and DbModule.
 */
@Module({
  providers: [ZoneCatalogueService],
  exports: [ZoneCatalogueService],
})
export class ZoneCatalogueModule {}
