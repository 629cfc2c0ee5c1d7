import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Roles } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { CancelWindowDto, CreateWindowDto } from './windows.dto';
import { WindowsService } from './windows.service';

/**
 * Declared windows of a machine (maintenance, out of service, authorised transport): integrity alerts inside
 * one are downgraded and say so, never dropped.
 */
@ApiTags('machines')
@ApiBearerAuth()
@Controller('v1/machines/:id/windows')
export class WindowsController {
  constructor(private readonly windows: WindowsService) {}

  @Post()
  @Roles('admin', 'registry_clerk')
  declare(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: CreateWindowDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.windows.declare(id, body, user);
  }

  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  list(@Param('id', UUID_PARAM) id: string) {
    return this.windows.list(id);
  }

  @Post(':windowId/cancel')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  cancel(
    @Param('id', UUID_PARAM) id: string,
    @Param('windowId', UUID_PARAM) windowId: string,
    @Body() body: CancelWindowDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.windows.cancel(id, windowId, body, user);
  }
}
