import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { MIN_PASSWORD_LENGTH } from '@app/config';
import { IsDepartment } from '../common/validators';
import { ROLES, Role } from '@app/platform';

export class LoginDto {
  @ApiProperty({ example: 'admin', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  username!: string;

  @ApiProperty({ maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'jquispe' })
  @IsString()
  @Matches(/^[a-z0-9._-]{3,64}$/, {
    message: 'username must be 3-64 lowercase letters, digits, dots, dashes or underscores',
  })
  username!: string;

  @ApiProperty({ example: 'Juana Quispe' })
  @IsString()
  @Length(1, 200)
  displayName!: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200 })
  @IsString()
  @Length(MIN_PASSWORD_LENGTH, 200, {
    message: `password must be ${MIN_PASSWORD_LENGTH} to 200 characters long`,
  })
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    description: 'Required for enforcement officers and agency integrations; refused for auditors',
  })
  @IsOptional()
  @IsUUID()
  agencyId?: string;
}

export class SetUserActiveDto {
  @ApiProperty()
  @IsBoolean()
  active!: boolean;
}

export const AGENCY_KINDS = [
  'prosecutor',
  'police',
  'protected_areas',
  'environmental_enforcement',
  'water',
  'regional_government',
  'registry',
  'other',
] as const;

export class CreateAgencyDto {
  @ApiProperty({ example: 'FEMA-MDD' })
  @Matches(/^[A-Z0-9-]{2,32}$/, { message: 'code must be 2-32 upper-case letters, digits or dashes' })
  code!: string;

  @ApiProperty({ example: 'Fiscalía Especializada en Materia Ambiental de Madre de Dios' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: AGENCY_KINDS })
  @IsIn(AGENCY_KINDS)
  kind!: (typeof AGENCY_KINDS)[number];

  @ApiPropertyOptional({ example: 'MADRE DE DIOS', description: 'Jurisdiction; unset for national agencies' })
  @IsOptional()
  @IsDepartment()
  department?: string;
}
