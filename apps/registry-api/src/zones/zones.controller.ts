import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { FeatureCollection } from 'geojson';
import type { LayerMapping } from '@app/geofence';
import { actorOf, AuthenticatedUser, CurrentUser, PageQuery, Roles, validationFailed } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import {
  ConfirmationDto,
  ImportLayerDto,
  PositionQueryDto,
  ProposalReasonDto,
  ZoneQueryDto,
  ZoneVersionQueryDto,
} from './zones.dto';
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

  /** Proposes the activation of a version: 202 with the pending proposal; another administrator confirms it. */
  @Post('versions/:version/activate')
  @HttpCode(202)
  @Roles('admin')
  activate(
    @Param('version') version: string,
    @Body() body: ProposalReasonDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.catalogue.proposeActivation(checkedVersion(version), actorOf(user), body.reason);
  }

  /** Confirms a pending activation: another administrator than the one who proposed it. */
  @Post('versions/:version/activate/confirm')
  @HttpCode(200)
  @Roles('admin')
  confirmActivation(
    @Param('version') version: string,
    @Body() body: ConfirmationDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.catalogue.confirmActivation(checkedVersion(version), actorOf(user), body.reason);
  }

  /** Withdraws (the proposer) or turns down (another administrator) a pending activation. */
  @Post('versions/:version/activate/reject')
  @HttpCode(200)
  @Roles('admin')
  rejectActivation(
    @Param('version') version: string,
    @Body() body: ProposalReasonDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.catalogue.rejectActivation(checkedVersion(version), actorOf(user), body.reason);
  }

  @Get('versions/:version/proposals')
  @Roles('admin', 'auditor')
  proposals(@Param('version') version: string) {
    return this.catalogue.activationProposals(checkedVersion(version));
  }

  /**
   * Starts an import job: 202 Accepted with the job (and its URL in Location) at once; the layer is checked and
   * repaired on a worker thread. Poll GET /v1/zones/imports/{id} for its stage, progress, result or error.
   */
  @Post('import')
  @HttpCode(202)
  @Roles('admin')
  async import(
    @Body() body: ImportLayerDto,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ) {
    const job = await this.catalogue.submitImport(
      body.mapping as LayerMapping,
      body.geojson as unknown as FeatureCollection,
      body.activate ?? true,
      actorOf(user),
    );
    response.setHeader('location', `/v1/zones/imports/${job.id}`);
    return job;
  }

  @Get('imports')
  @Roles('admin', 'auditor')
  imports(@Query() query: PageQuery) {
    return this.catalogue.importJobs(query);
  }

  @Get('imports/:id')
  @Roles('admin', 'auditor')
  importJob(@Param('id', UUID_PARAM) id: string) {
    return this.catalogue.importJob(id);
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
