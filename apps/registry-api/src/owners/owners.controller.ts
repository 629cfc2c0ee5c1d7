import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser, Roles } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { CreateOwnerDto, OwnerQueryDto, UpdateOwnerDto } from './owners.dto';
import { OwnersService } from './owners.service';

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

  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer')
  search(@Query() query: OwnerQueryDto) {
    return this.owners.search(query);
  }

  @Get(':id')
  @Roles('admin', 'registry_clerk', 'enforcement_officer')
  get(@Param('id', UUID_PARAM) id: string) {
    return this.owners.get(id);
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
