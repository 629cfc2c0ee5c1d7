import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { NeedToKnowModule } from './common/need-to-know';
import { ReadAuditInterceptor } from './common/read-audit';
import { AuditController } from './audit/audit.controller';
import { IngestAdminController } from './ingest/ingest-admin.controller';
import { EmqxHooksController } from './devices/emqx-hooks.controller';
import { AuthModule } from './auth/auth.module';
import { MachineImportService } from './machines/machine-import.service';
import { MachinesController } from './machines/machines.controller';
import { MachinesService } from './machines/machines.service';
import { OwnersController } from './owners/owners.controller';
import { OwnersService } from './owners/owners.service';
import { TrackersController } from './trackers/trackers.controller';
import { TrackersService } from './trackers/trackers.service';
import { ZonesModule } from './zones/zones.module';
import { ViolationsModule } from './violations/violations.module';
import { WindowsModule } from './windows/windows.module';

@Module({
  imports: [AuthModule, ZonesModule, ViolationsModule, WindowsModule, NeedToKnowModule],
  controllers: [
    OwnersController,
    MachinesController,
    TrackersController,
    AuditController,
    EmqxHooksController,
    IngestAdminController,
  ],
  providers: [
    OwnersService,
    MachinesService,
    MachineImportService,
    TrackersService,
    { provide: APP_INTERCEPTOR, useClass: ReadAuditInterceptor },
  ],
})
export class RegistryModule {}
