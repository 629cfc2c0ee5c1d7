import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PageQuery } from '@app/platform';
import { IsIccid, IsImei } from '../common/validators';

export class CreateTrackerDto {
  @ApiProperty({ example: '356307042441013', description: '15 digits with Luhn check digit' })
  @IsImei()
  imei!: string;

  @ApiProperty({ example: 'Teltonika FMC650' })
  @IsString()
  @Length(1, 100)
  model!: string;

  @ApiPropertyOptional({ example: '03.28.07' })
  @IsOptional()
  @IsString()
  @Length(1, 60)
  firmware?: string;

  @ApiPropertyOptional({ example: '8951101234567890123' })
  @IsOptional()
  @IsIccid()
  iccid?: string;

  @ApiProperty({ example: 60, description: 'Expected seconds between fixes while moving (10 s to 1 h)' })
  @IsInt()
  @Min(10)
  @Max(3600)
  intervalMovingSeconds!: number;

  @ApiProperty({
    example: 900,
    description: 'Expected seconds between fixes with ignition off (30 s to 24 h)',
  })
  @IsInt()
  @Min(30)
  @Max(86400)
  intervalIgnitionOffSeconds!: number;
}

/** Fields left out stay as they are; null is validated like any value (a required field cannot be emptied). */
export class UpdateTrackerDto extends PartialType(
  PickType(CreateTrackerDto, [
    'model',
    'firmware',
    'iccid',
    'intervalMovingSeconds',
    'intervalIgnitionOffSeconds',
  ] as const),
  { skipNullProperties: false },
) {}

export class TrackerQueryDto extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsImei()
  imei?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  model?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Only trackers bound (or not bound) to a machine',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  bound?: 'true' | 'false';
}
