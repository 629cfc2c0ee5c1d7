import { Body, Controller, Get, HttpCode, Ip, Param, Patch, Post } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AgencyRow, Store } from '@app/db';
import { actorOf, AuthenticatedUser, CurrentUser, Public, Roles, conflict } from '@app/platform';
import { AuthService, userView } from './auth.service';
import { CreateAgencyDto, CreateUserDto, LoginDto, SetUserActiveDto } from './auth.dto';
import { UUID_PARAM } from '../common/validators';
import { normaliseDepartment } from '@app/registry';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed sign-ins for the username or from the address; Retry-After tells when to try again',
  })
  login(@Body() body: LoginDto, @Ip() address: string | undefined) {
    return this.auth.login(body.username, body.password, address);
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser) {
    return user;
  }
}

/** What the API tells of an agency: never its internals (the MQTT credential's hash). */
export interface AgencyView {
  id: string;
  code: string;
  name: string;
  kind: string;
  department: string | null;
  createdAt: Date;
}

export function agencyView(row: AgencyRow): AgencyView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    department: row.department,
    createdAt: row.created_at,
  };
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly auth: AuthService,
    private readonly store: Store,
  ) {}

  @Get()
  @Roles('admin', 'auditor')
  async list() {
    return (await this.store.repos.users.list()).map(userView);
  }

  @Post()
  @Roles('admin')
  create(@Body() body: CreateUserDto, @CurrentUser() user: AuthenticatedUser) {
    return this.auth.createUser(body, user);
  }

  @Patch(':id')
  @Roles('admin')
  setActive(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: SetUserActiveDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.auth.setActive(id, body.active, user);
  }
}

@ApiTags('agencies')
@ApiBearerAuth()
@Controller('v1/agencies')
export class AgenciesController {
  constructor(private readonly store: Store) {}

  @Get()
  @Roles('admin', 'registry_clerk', 'enforcement_officer', 'agency_integration', 'auditor')
  async list() {
    return (await this.store.repos.agencies.list()).map(agencyView);
  }

  @Post()
  @Roles('admin')
  create(@Body() body: CreateAgencyDto, @CurrentUser() user: AuthenticatedUser) {
    return this.store.transaction(async (repos) => {
      const existing = (await repos.agencies.list()).find((a) => a.code === body.code);
      if (existing) throw conflict('code', 'an agency with this code exists');
      const agency = await repos.agencies.create({
        code: body.code,
        name: body.name,
        kind: body.kind,
        department: body.department ? normaliseDepartment(body.department)! : null,
      });
      const view = agencyView(agency);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.created',
        entityType: 'agency',
        entityId: agency.id,
        after: view,
      });
      return view;
    });
  }
}
