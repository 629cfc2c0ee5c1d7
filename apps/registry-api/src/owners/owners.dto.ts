import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageQuery } from '@app/platform';
import { IsOwnerDocument } from '../common/validators';

export const OWNER_KINDS = ['person', 'company'] as const;
export const DOCUMENT_TYPES = ['DNI', 'CE', 'RUC'] as const;

export class CreateOwnerDto {
  @ApiProperty({ enum: OWNER_KINDS, description: 'A natural person or a company' })
  @IsIn(OWNER_KINDS)
  kind!: (typeof OWNER_KINDS)[number];

  @ApiProperty({
    enum: DOCUMENT_TYPES,
    description: 'DNI (Peruvians), CE (foreign residents) or RUC (taxpayers; required for companies)',
  })
  @IsIn(DOCUMENT_TYPES)
  documentType!: (typeof DOCUMENT_TYPES)[number];

  @ApiProperty({ example: '20131312955' })
  @IsString()
  @IsOwnerDocument()
  documentNumber!: string;

  @ApiProperty({ example: 'Minera Inambari S.A.C.' })
  @IsString()
  @Length(1, 300)
  name!: string;

  @ApiPropertyOptional({ example: 'contacto@example.pe' })
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ example: '+51 982 123 456' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,20}$/, {
    message: 'phone must be 6-20 digits, spaces, dashes or parentheses, optionally with a leading +',
  })
  phone?: string;

  @ApiPropertyOptional({ example: 'Av. León Velarde 123, Puerto Maldonado' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  address?: string;
}

/** Fields left out stay as they are; null is validated like any value (a required field cannot be emptied). */
export class UpdateOwnerDto extends PartialType(
  PickType(CreateOwnerDto, ['name', 'email', 'phone', 'address'] as const),
  { skipNullProperties: false },
) {}

export class OwnerQueryDto extends PageQuery {
  @ApiPropertyOptional({ description: 'Exact document number' })
  @IsOptional()
  @IsString()
  documentNumber?: string;

  @ApiPropertyOptional({ description: 'Part of the name, case-insensitive' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  name?: string;

  @ApiPropertyOptional({ description: 'Case or operation this read is for (or the X-Case-Reference header)' })
  @IsOptional()
  @IsString()
  reference?: string;
}
