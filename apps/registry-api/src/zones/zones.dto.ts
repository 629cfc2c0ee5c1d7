import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsLatitude,
  IsLongitude,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import { ZONE_KINDS, type ZoneKind } from '@app/geofence';
import { PageQuery } from '@app/platform';

/** Line layers: check each piece's name against the river lines of the active catalogue's other layers. */
export class NameCheckDto {
  @ApiProperty({
    example: 'la capa regional de ríos',
    description:
      'The layer in the name of a piece whose name is contradicted and not settled, in Spanish: "cuerpo de agua de <description>, cerca del Río X"',
  })
  @IsString()
  @Length(1, 200)
  description!: string;

  @ApiPropertyOptional({
    example: 3000,
    description: 'Distance from a river line that counts as following it',
  })
  @IsOptional()
  @IsNumber()
  @Min(1)
  @Max(50_000)
  corridorMeters?: number;

  @ApiPropertyOptional({
    example: 0.5,
    description: 'Share of a piece along a river line for it to follow the line',
  })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(1)
  followShare?: number;

  @ApiPropertyOptional({
    example: 0.75,
    description: 'Share above which a contradiction both sources back is corrected',
  })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(1)
  correctShare?: number;
}

/** How the features of a layer become zones: which property is the name, the code, the legal basis... */
export class LayerMappingDto {
  @ApiProperty({
    example: 'ana-rivers-loreto',
    description: 'Layer name; a new import of the same layer replaces its zones',
  })
  @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/, {
    message: 'layer must be 2-64 lowercase letters, digits, dots, dashes or underscores',
  })
  layer!: string;

  @ApiProperty({ enum: ZONE_KINDS })
  @IsIn(ZONE_KINDS)
  kind!: ZoneKind;

  @ApiProperty({ example: 'ANA' })
  @IsString()
  @Length(1, 100)
  authority!: string;

  @ApiProperty({ example: 'ana-river', description: 'Prefix of the stable zone ids of this layer' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    message: 'idPrefix must be 1-40 lowercase letters, digits or dashes',
  })
  idPrefix!: string;

  @ApiPropertyOptional({
    description: 'Property holding the official code that identifies a zone (parts sharing it are combined)',
  })
  @IsOptional()
  @IsString()
  idProperty?: string;

  @ApiProperty({
    example: 'nombre',
    description: 'Property holding the name, or {"value": "..."} for a fixed name',
  })
  @IsAttributeSource()
  name!: string | string[] | { value: string };

  @ApiPropertyOptional({ example: 'codigo' })
  @IsOptional()
  @IsAttributeSource()
  code?: string | string[] | { value: string };

  @ApiPropertyOptional({ example: { value: 'Decreto Legislativo N° 1100' } })
  @IsOptional()
  @IsAttributeSource()
  legalBasis?: string | string[] | { value: string };

  @ApiPropertyOptional({
    example: 150,
    description: 'Line layers: the zone is every point within this many metres of the line',
  })
  @IsOptional()
  @IsNumber()
  @Min(1)
  @Max(50_000)
  bufferMeters?: number;

  @ApiPropertyOptional({
    example: 'buffer_m',
    description: 'Line layers: property with a per-feature buffer in metres',
  })
  @IsOptional()
  @IsString()
  bufferProperty?: string;

  @ApiPropertyOptional({
    description: 'Zone properties copied from feature properties: zone property → source property',
  })
  @IsOptional()
  @IsObject()
  properties?: Record<string, string>;

  @ApiPropertyOptional({ type: NameCheckDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => NameCheckDto)
  checkNames?: NameCheckDto;
}

export class ImportLayerDto {
  @ApiProperty({ type: LayerMappingDto })
  @ValidateNested()
  @Type(() => LayerMappingDto)
  mapping!: LayerMappingDto;

  @ApiProperty({
    description: 'A GeoJSON FeatureCollection (WGS84 lon/lat)',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  @IsGeoJsonFeatureCollection()
  geojson!: { type: 'FeatureCollection'; features: unknown[] };

  @ApiPropertyOptional({
    default: true,
    description: 'Switch the running system to the new catalogue version at once',
  })
  @IsOptional()
  @IsBoolean()
  activate?: boolean;
}

export class ZoneQueryDto extends PageQuery {
  @ApiPropertyOptional({ enum: ZONE_KINDS })
  @IsOptional()
  @IsIn(ZONE_KINDS)
  kind?: ZoneKind;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  layer?: string;

  @ApiPropertyOptional({ description: 'Part of the name, case-insensitive' })
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ description: 'Catalogue version (default: the active one)' })
  @IsOptional()
  @Matches(/^[0-9a-f]{8,64}$/, { message: 'version must be a catalogue version hash' })
  version?: string;
}

export class ZoneVersionQueryDto {
  @ApiPropertyOptional({ description: 'Catalogue version (default: the active one)' })
  @IsOptional()
  @Matches(/^[0-9a-f]{8,64}$/, { message: 'version must be a catalogue version hash' })
  version?: string;
}

export class PositionQueryDto {
  @ApiProperty({ example: -12.84 })
  @Type(() => Number)
  @IsLatitude({ message: 'lat must be a latitude between -90 and 90' })
  lat!: number;

  @ApiProperty({ example: -69.52 })
  @Type(() => Number)
  @IsLongitude({ message: 'lon must be a longitude between -180 and 180' })
  lon!: number;
}

function IsAttributeSource(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isAttributeSource',
      target: target.constructor,
      propertyName: String(propertyKey),
      options: {
        message: '$property must be a property name, a list of property names, or {"value": "..."}',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length > 0) ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.every((v) => typeof v === 'string' && v.length > 0)) ||
          (typeof value === 'object' &&
            value !== null &&
            !Array.isArray(value) &&
            Object.keys(value).length === 1 &&
            typeof (value as { value?: unknown }).value === 'string'),
      },
    });
}

function IsGeoJsonFeatureCollection(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isGeoJsonFeatureCollection',
      target: target.constructor,
      propertyName: String(propertyKey),
      options: {
        message: 'geojson must be a GeoJSON FeatureCollection with at least one feature',
        ...options,
      },
      validator: {
        validate: (value: unknown) => {
          const fc = value as { type?: unknown; features?: unknown };
          return fc?.type === 'FeatureCollection' && Array.isArray(fc.features) && fc.features.length > 0;
        },
      },
    });
}

export class ProposalReasonDto {
  @ApiProperty({ example: 'ANA 2026 update of the Madre de Dios rivers, checked against the 2025 version' })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class ConfirmationDto {
  @ApiPropertyOptional({ example: 'Checked the version report' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}
