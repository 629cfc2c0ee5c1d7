import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Roles } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { CreateTrackerDto, TrackerQueryDto, UpdateTrackerDto } from './trackers.dto';
import { TrackersService } from './trackers.service';

@ApiTags('trackers')
@ApiBearerAuth()
@Controller('v1/trackers')
export class TrackersController {
  constructor(private readonly trackers: TrackersService) {}

  @Post()
  @Roles('admin', 'registry_clerk')
  create(@Body() body: CreateTrackerDto, @CurrentUser() user: AuthenticatedUser) {
    return this.trackers.create(body, user);
  }

  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  search(@Query() query: TrackerQueryDto) {
    return this.trackers.search(query);
  }

  @Get(':id')
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  get(@Param('id', UUID_PARAM) id: string) {
    return this.trackers.get(id);
  }

  @Patch(':id')
  @Roles('admin', 'registry_clerk')
  update(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: UpdateTrackerDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.trackers.update(id, body, user);
  }

  @Post(':id/credentials')
  @Roles('admin', 'registry_clerk')
  issueCredentials(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.trackers.issueCredentials(id, user);
  }

  @Delete(':id/credentials')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  revokeCredentials(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.trackers.revokeCredentials(id, user);
  }
}
