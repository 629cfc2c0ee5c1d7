import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Roles } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { CreateOwnerDto, OwnerQueryDto, UpdateOwnerDto } from './owners.dto';
import { OwnersService } from './owners.service';
import { AuditedRead, ReadSubject } from '../common/read-audit';

function ownerIdsOf(result: unknown): ReadSubject[] {
  return ((result as { items?: Array<{ id: string }> }).items ?? []).map((o) => ({
    entityType: 'owner',
    entityId: o.id,
  }));
}

@ApiTags('owners')
@ApiBearerAuth()
@Controller('v1/owners')
export class OwnersController {
  constructor(private readonly owners: OwnersService) {}

  @Post()
  @Roles('admin', 'registry_clerk')
  create(@Body() body: CreateOwnerDto, @CurrentUser() user: AuthenticatedUser) {
    return this.owners.create(body, user);
  }

  /** Officers find only owners of machines in violations of their jurisdiction; every read is audited. */
  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  @AuditedRead('owners', (result) => ownerIdsOf(result))
  search(@Query() query: OwnerQueryDto, @CurrentUser() user: AuthenticatedUser) {
    return this.owners.search(query, user);
  }

  @Get(':id')
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'auditor')
  @AuditedRead('owner', (_result, params) => [{ entityType: 'owner', entityId: params['id']! }])
  get(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.owners.get(id, user);
  }

  @Patch(':id')
  @Roles('admin', 'registry_clerk')
  update(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: UpdateOwnerDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.owners.update(id, body, user);
  }
}
