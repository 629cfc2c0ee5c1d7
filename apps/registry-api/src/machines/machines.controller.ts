import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Roles, validationFailed } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { IMPORT_COLUMNS, MachineImportService } from './machine-import.service';
import {
  BindTrackerDto,
  ChangeDeclaredUseDto,
  ChangeStatusDto,
  CreateMachineDto,
  ImportQueryDto,
  MachineQueryDto,
  TransferOwnershipDto,
  UnbindTrackerDto,
  UpdateMachineDto,
} from './machines.dto';
import { MachinesService } from './machines.service';
import { NeedToKnow } from '../common/need-to-know';
import { mayLookUpByDocument } from '@app/registry';

@ApiTags('machines')
@ApiBearerAuth()
@Controller('v1/machines')
export class MachinesController {
  constructor(
    private readonly machines: MachinesService,
    private readonly importer: MachineImportService,
    private readonly needToKnow: NeedToKnow,
  ) {}

  @Post()
  @Roles('admin', 'registry_clerk')
  create(@Body() body: CreateMachineDto, @CurrentUser() user: AuthenticatedUser) {
    return this.machines.create(body, user);
  }

  @Post('import')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  @ApiConsumes('text/csv')
  @ApiBody({
    description: `CSV with a header row. Required columns: ${IMPORT_COLUMNS.required.join(', ')}; optional: ${IMPORT_COLUMNS.optional.join(', ')}. An owner not yet registered is registered from owner_name.`,
    schema: { type: 'string' },
  })
  import(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Query() query: ImportQueryDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    if (typeof body !== 'string' || !contentType?.startsWith('text/csv')) {
      throw validationFailed([
        { field: 'file', messages: ['send the CSV as the request body with Content-Type: text/csv'] },
      ]);
    }
    return this.importer.importCsv(body, user, query.dryRun === 'true');
  }

  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  async search(@Query() query: MachineQueryDto, @CurrentUser() user: AuthenticatedUser) {
    const viewer = await this.needToKnow.viewer(user);
    if (query.ownerDocument !== undefined && !mayLookUpByDocument(viewer, query.ownerDocument))
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message:
          "searching machines by a natural person's document is reserved to the registry and prosecutors",
      });
    return this.machines.search(query, viewer);
  }

  @Get(':id')
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  async get(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.machines.get(id, await this.needToKnow.viewer(user));
  }

  @Get(':id/history')
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  async history(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.machines.history(id, await this.needToKnow.viewer(user));
  }

  @Patch(':id')
  @Roles('admin', 'registry_clerk')
  update(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: UpdateMachineDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.update(id, body, user);
  }

  @Put(':id/declared-use')
  @Roles('admin', 'registry_clerk')
  changeDeclaredUse(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: ChangeDeclaredUseDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.changeDeclaredUse(id, body, user);
  }

  @Post(':id/status')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  changeStatus(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: ChangeStatusDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.changeStatus(id, body, user);
  }

  @Post(':id/transfer')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  transfer(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: TransferOwnershipDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.transfer(id, body, user);
  }

  @Post(':id/tracker')
  @Roles('admin', 'registry_clerk')
  bind(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: BindTrackerDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.bindTracker(id, body.trackerId, user, body.installedAt);
  }

  @Post(':id/tracker/unbind')
  @HttpCode(200)
  @Roles('admin', 'registry_clerk')
  unbind(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: UnbindTrackerDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.machines.unbindTracker(id, body.reason, user);
  }
}
