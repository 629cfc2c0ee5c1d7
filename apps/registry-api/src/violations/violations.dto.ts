import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  IsUrl,
  Length,
  Max,
  Min,
} from 'class-validator';
import { ZONE_KINDS } from '@app/geofence';
import { INTEGRITY_ZONE_KIND } from '@app/dispatch';
import { PageQuery } from '@app/platform';
import { IsDepartment } from '../common/validators';

export const ALERT_ZONE_KINDS = [...ZONE_KINDS, INTEGRITY_ZONE_KIND] as const;
export const SEVERITIES = ['violation', 'warning'] as const;
export const WORKFLOW_STATUSES = ['new', 'acknowledged', 'dispatched', 'resolved'] as const;
export const RESOLUTIONS = ['interdiction', 'false_positive', 'duplicate'] as const;
export const EXPORT_FORMATS = ['geojson', 'kml', 'csv'] as const;

export class ViolationQueryDto extends PageQuery {
  @ApiPropertyOptional({ enum: ['open', 'closed', 'retracted'] })
  @IsOptional()
  @IsIn(['open', 'closed', 'retracted'])
  status?: string;

  @ApiPropertyOptional({ enum: WORKFLOW_STATUSES })
  @IsOptional()
  @IsIn(WORKFLOW_STATUSES)
  workflowStatus?: string;

  @ApiPropertyOptional({ enum: ALERT_ZONE_KINDS })
  @IsOptional()
  @IsIn(ALERT_ZONE_KINDS)
  zoneKind?: string;

  @ApiPropertyOptional({ example: 'MADRE DE DIOS' })
  @IsOptional()
  @IsDepartment()
  department?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  machineId?: string;

  @ApiPropertyOptional({ description: 'Started at or after (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ description: 'Started before (ISO 8601)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to?: Date;
}

export class AcknowledgeDto {
  @ApiPropertyOptional({ example: 'Seen; coordinating with the PNP' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  notes?: string;
}

export class DispatchDto {
  @ApiProperty({ example: 'OP-FEMA-MDD-2026-0142', description: 'Reference of the field operation' })
  @IsString()
  @Length(1, 200)
  reference!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  notes?: string;
}

export class ResolveDto {
  @ApiProperty({ enum: RESOLUTIONS })
  @IsIn(RESOLUTIONS)
  resolution!: (typeof RESOLUTIONS)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  notes?: string;
}

export class ExportQueryDto {
  @ApiProperty({ enum: EXPORT_FORMATS })
  @IsIn(EXPORT_FORMATS)
  format!: (typeof EXPORT_FORMATS)[number];

  @ApiPropertyOptional({ description: 'Case or operation this read is for (or the X-Case-Reference header)' })
  @IsOptional()
  @IsString()
  reference?: string;
}

export class AnchorQueryDto {
  @ApiPropertyOptional({ description: 'Only anchors after this seq', minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class AreaQueryDto {
  @ApiPropertyOptional({ description: 'A zone of the active catalogue (its buffer included)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  zoneId?: string;

  @ApiPropertyOptional({ description: 'A drawn GeoJSON Polygon or MultiPolygon (lon, lat)' })
  @IsOptional()
  @IsObject()
  polygon?: Record<string, unknown>;

  @ApiProperty({ description: 'From (ISO 8601)' })
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from!: Date;

  @ApiProperty({ description: 'To, exclusive (ISO 8601)' })
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to!: Date;
}

export class CreateSubscriptionDto {
  @ApiPropertyOptional({ enum: ALERT_ZONE_KINDS, isArray: true, description: 'Empty or absent: every kind' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsIn(ALERT_ZONE_KINDS, { each: true })
  zoneKinds?: string[];

  @ApiPropertyOptional({
    isArray: true,
    example: ['MADRE DE DIOS'],
    description: 'Empty or absent: national',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(25)
  @IsDepartment({ each: true })
  departments?: string[];

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, description: 'Empty or absent: both' })
  @IsOptional()
  @IsArray()
  @IsIn(SEVERITIES, { each: true })
  severities?: string[];

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 5,
    default: 0,
    description: 'Escalation level it applies from',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(5)
  level?: number;
}

export class CreateChannelDto {
  @ApiProperty({ enum: ['webhook', 'mqtt'] })
  @IsIn(['webhook', 'mqtt'])
  kind!: 'webhook' | 'mqtt';

  @ApiPropertyOptional({
    example: 'https://alertas.fema.gob.pe/centinela',
    description: 'Required for webhooks',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  url?: string;
}

export class DeliveryQueryDto extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'dead'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'dead'])
  status?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  agencyId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  violationId?: string;
}

export class ReplayDto {
  @ApiPropertyOptional({ description: 'Only the dead letters of this agency' })
  @IsOptional()
  @IsUUID()
  agencyId?: string;
}
