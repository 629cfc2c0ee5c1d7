import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import {
  DECLARED_USES,
  DeclaredUse,
  MACHINE_CATEGORIES,
  MACHINE_STATUSES,
  MIN_MACHINE_YEAR,
  MachineCategory,
  MachineStatus,
} from '@app/registry';
import { PageQuery } from '@app/platform';
import { IsDepartment, IsImei, IsMiningCode } from '../common/validators';

const MAX_YEAR = new Date().getUTCFullYear() + 1;

export class CreateMachineDto {
  @ApiProperty({ enum: MACHINE_CATEGORIES })
  @IsIn(MACHINE_CATEGORIES)
  category!: MachineCategory;

  @ApiProperty({ example: 'Caterpillar' })
  @IsString()
  @Length(1, 100)
  make!: string;

  @ApiProperty({ example: '320D2' })
  @IsString()
  @Length(1, 100)
  model!: string;

  @ApiProperty({ example: 2019, minimum: MIN_MACHINE_YEAR })
  @IsInt()
  @Min(MIN_MACHINE_YEAR)
  @Max(MAX_YEAR)
  year!: number;

  @ApiProperty({
    example: 'CAT0320DKZBN01234',
    description: 'Serial number or product identification number (PIN)',
  })
  @Matches(/^[A-Za-z0-9-]{4,40}$/, { message: 'serialNumber must be 4-40 letters, digits or dashes' })
  serialNumber!: string;

  @ApiPropertyOptional({ example: 'C6.4-00123' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9.\-/ ]{2,40}$/, {
    message: 'engineNumber must be 2-40 letters, digits, dots, dashes or slashes',
  })
  engineNumber?: string;

  @ApiPropertyOptional({
    enum: DECLARED_USES,
    description: 'What the machine is used for; without it the use is recorded as unknown (null)',
  })
  @IsOptional()
  @IsIn(DECLARED_USES)
  declaredUse?: DeclaredUse;

  @ApiPropertyOptional({
    example: 'REINFO-17-000123',
    description: 'Mining formalisation registry (REINFO) reference; only with declaredUse mining',
  })
  @IsOptional()
  @IsMiningCode()
  reinfoCode?: string;

  @ApiPropertyOptional({
    example: '01-00123-05',
    description:
      'Code of the mining right (INGEMMET cadastre) the machine works; only with declaredUse mining. 7 to 10 digits, dashes allowed; stored as digits',
  })
  @IsOptional()
  @IsMiningCode()
  concessionCode?: string;

  @ApiProperty({ example: 'MADRE DE DIOS', description: 'Department where the machine operates' })
  @IsDepartment()
  department!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  ownerId!: string;
}

/** Fields left out stay as they are; null is validated like any value (a required field cannot be emptied). */
export class UpdateMachineDto extends PartialType(
  PickType(CreateMachineDto, ['make', 'model', 'year', 'engineNumber', 'department'] as const),
  { skipNullProperties: false },
) {}

/** A new declaration of use, replacing the machine's declared use and mining codes as a whole. */
export class ChangeDeclaredUseDto {
  @ApiProperty({ enum: DECLARED_USES })
  @IsIn(DECLARED_USES)
  declaredUse!: DeclaredUse;

  @ApiPropertyOptional({
    example: 'REINFO-17-000123',
    description: 'Mining formalisation registry (REINFO) reference; only with declaredUse mining',
  })
  @IsOptional()
  @IsMiningCode()
  reinfoCode?: string;

  @ApiPropertyOptional({
    example: '01-00123-05',
    description: 'Code of the mining right (INGEMMET cadastre); only with declaredUse mining',
  })
  @IsOptional()
  @IsMiningCode()
  concessionCode?: string;

  @ApiProperty({ example: 'Owner presented the road maintenance contract with the provincial municipality' })
  @IsString()
  @Length(3, 1000)
  reason!: string;
}

export class ChangeStatusDto {
  @ApiProperty({ enum: MACHINE_STATUSES })
  @IsIn(MACHINE_STATUSES)
  status!: MachineStatus;

  @ApiProperty({ example: 'Tracker installed and tested by SUTRAN inspector' })
  @IsString()
  @Length(3, 1000)
  reason!: string;
}

export class TransferOwnershipDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  ownerId!: string;

  @ApiProperty({ example: 'Sale contract notarised 2026-11-02' })
  @IsString()
  @Length(3, 1000)
  reason!: string;
}

export class BindTrackerDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  trackerId!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-01T14:00:00Z',
    description:
      'When the tracker was installed on the machine, if before this request (at most 30 days ago); its fixes timed before it are not trusted. Default: now.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  installedAt?: string;
}

export class UnbindTrackerDto {
  @ApiProperty({ example: 'Tracker faulty, replaced' })
  @IsString()
  @Length(3, 1000)
  reason!: string;
}

export class MachineQueryDto extends PageQuery {
  @ApiPropertyOptional({ example: 'MAQ-2026-000123' })
  @IsOptional()
  @IsString()
  registryNumber?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsImei()
  imei?: string;

  @ApiPropertyOptional({ description: "Owner's DNI, CE or RUC" })
  @IsOptional()
  @Matches(/^\d{8,12}$/, { message: 'ownerDocument must be 8 to 12 digits' })
  ownerDocument?: string;

  @ApiPropertyOptional({ enum: MACHINE_CATEGORIES })
  @IsOptional()
  @IsIn(MACHINE_CATEGORIES)
  category?: MachineCategory;

  @ApiPropertyOptional({ enum: MACHINE_STATUSES })
  @IsOptional()
  @IsIn(MACHINE_STATUSES)
  status?: MachineStatus;

  @ApiPropertyOptional({ example: 'MADRE DE DIOS' })
  @IsOptional()
  @IsDepartment()
  department?: string;

  @ApiPropertyOptional({
    enum: [...DECLARED_USES, 'unknown'],
    description: 'Declared use; unknown: machines enrolled before uses were declared',
  })
  @IsOptional()
  @IsIn([...DECLARED_USES, 'unknown'])
  declaredUse?: DeclaredUse | 'unknown';
}

export class ImportQueryDto {
  @ApiPropertyOptional({ description: 'Validate only; enrol nothing', default: false })
  @IsOptional()
  @Type(() => String)
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
