import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsDate, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Type } from 'class-transformer';
import { AuditEntryRow, Store } from '@app/db';
import { Roles, PageQuery, pageWindow, toPage } from '@app/platform';

export const AUDITED_ENTITIES = [
  'user',
  'agency',
  'owner',
  'machine',
  'tracker',
  'violation',
  'delivery',
  'zone_catalogue',
  'read',
] as const;

export class AuditQueryDto extends PageQuery {
  @ApiPropertyOptional({ enum: AUDITED_ENTITIES })
  @IsOptional()
  @IsIn(AUDITED_ENTITIES)
  entityType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  entityId?: string;

  @ApiPropertyOptional({
    description:
      'An action, or a prefix ending in a dot: `read.` lists every audited read of positions, evidence, exports and owners',
    example: 'read.',
  })
  @IsOptional()
  @Matches(/^[a-z_]+(\.[a-z_]*)*$/, {
    message: 'action must be an action such as owner.updated, or a prefix such as read.',
  })
  @Length(1, 100)
  action?: string;

  @ApiPropertyOptional({ description: 'Username of who made the change' })
  @IsOptional()
  @IsString()
  actor?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to?: Date;
}

function auditView(row: AuditEntryRow) {
  return {
    id: row.id,
    at: row.at,
    actor: { id: row.actor_id, username: row.actor_username },
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
  };
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly store: Store) {}

  @Get()
  @Roles('admin', 'registry_clerk', 'auditor')
  async search(@Query() query: AuditQueryDto) {
    const result = await this.store.repos.audit.search({
      action: query.action,
      entityType: query.entityType,
      entityId: query.entityId,
      actorUsername: query.actor,
      from: query.from,
      to: query.to,
      ...pageWindow(query),
    });
    return toPage(query, result, auditView);
  }
}
