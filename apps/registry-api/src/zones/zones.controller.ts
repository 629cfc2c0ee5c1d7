import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FeatureCollection } from 'geojson';
import type { LayerMapping } from '@app/geofence';
import { actorOf, AuthenticatedUser, CurrentUser, Roles, validationFailed } from '@app/platform';
import { ImportLayerDto, PositionQueryDto, ZoneQueryDto, ZoneVersionQueryDto } from './zones.dto';
import { ZonesService } from './zones.service';

const READERS = ['admin', 'registry_clerk', 'enforcement_officer', 'agency_integration', 'auditor'] as const;
const VERSION_PATTERN = /^[0-9a-f]{8,64}$/;

@ApiTags('zones')
@ApiBearerAuth()
@Controller('v1/zones')
export class ZonesController {
  constructor(private readonly catalogue: ZonesService) {}

  @Get()
  @Roles(...READERS)
  search(@Query() query: ZoneQueryDto) {
    return this.catalogue.search(query);
  }

  @Get('at')
  @Roles(...READERS)
  at(@Query() query: PositionQueryDto) {
    return this.catalogue.zonesAt(query.lat, query.lon);
  }

  @Get('versions')
  @Roles(...READERS)
  versions() {
    return this.catalogue.versions();
  }

  @Get('versions/:version')
  @Roles(...READERS)
  version(@Param('version') version: string) {
    return this.catalogue.versionReport(checkedVersion(version));
  }

  @Post('versions/:version/activate')
  @HttpCode(200)
  @Roles('admin')
  activate(@Param('version') version: string, @CurrentUser() user: AuthenticatedUser) {
    return this.catalogue.activateVersion(checkedVersion(version), actorOf(user));
  }

  @Post('import')
  @Roles('admin')
  import(@Body() body: ImportLayerDto, @CurrentUser() user: AuthenticatedUser) {
    return this.catalogue.importLayer(
      body.mapping as LayerMapping,
      body.geojson as unknown as FeatureCollection,
      body.activate ?? true,
      actorOf(user),
    );
  }

  @Get(':id')
  @Roles(...READERS)
  zone(@Param('id') id: string, @Query() query: ZoneVersionQueryDto) {
    return this.catalogue.zoneFeature(id, query.version);
  }
}

function checkedVersion(version: string): string {
  if (!VERSION_PATTERN.test(version))
    throw validationFailed([{ field: 'version', messages: ['version must be a catalogue version hash'] }]);
  return version;
}
