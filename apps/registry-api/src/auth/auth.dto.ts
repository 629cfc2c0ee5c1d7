import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsDepartment } from '../common/validators';
import { ROLES, Role } from '@app/platform';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @IsNotEmpty()
  username!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
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

  @ApiProperty({ minLength: 12 })
  @IsString()
  @Length(12, 200, { message: 'password must be 12 to 200 characters long' })
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
