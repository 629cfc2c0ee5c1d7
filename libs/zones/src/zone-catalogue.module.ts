import { Module } from '@nestjs/common';
import { ZoneCatalogueService } from './zone-catalogue.service';
import { ZoneImportJobsService } from './zone-import-jobs.service';

/**
 * The zone catalogue at run time: the geofence index of the active version, kept current as versions are
 * activated in any process. Needs ConfigModule and DbModule.
 */
@Module({
  providers: [ZoneCatalogueService, ZoneImportJobsService],
  exports: [ZoneCatalogueService, ZoneImportJobsService],
})
export class ZoneCatalogueModule {}
