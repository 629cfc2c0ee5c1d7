import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import { DECLARED_WINDOW_KINDS, type DeclaredWindowKind } from '@app/integrity';

/** The longest window a clerk can declare at once; a longer period is declared again when it runs out. */
export const MAX_WINDOW_DAYS = 366;
const MAX_WINDOW_MS = MAX_WINDOW_DAYS * 24 * 3_600_000;

/** `to` must be a time after `from`, and at most `MAX_WINDOW_DAYS` after it. */
function EndsAfterFrom(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'endsAfterFrom',
      target: target.constructor,
      propertyName: String(propertyKey),
      options: {
        message: `to must be after from, and at most ${MAX_WINDOW_DAYS} days after it`,
        ...options,
      },
      validator: {
        validate: (value: unknown, args) => {
          const from = Date.parse(String((args?.object as { from?: unknown } | undefined)?.from));
          const to = typeof value === 'string' ? Date.parse(value) : Number.NaN;
          // An unreadable `from` is reported on its own field.
          if (Number.isNaN(from)) return true;
          return !Number.isNaN(to) && to > from && to - from <= MAX_WINDOW_MS;
        },
      },
    });
}

export class CreateWindowDto {
  @ApiProperty({ enum: DECLARED_WINDOW_KINDS })
  @IsIn(DECLARED_WINDOW_KINDS)
  kind!: DeclaredWindowKind;

  @ApiProperty({ example: '2026-12-02T13:00:00Z', description: 'Start of the window (ISO 8601 with a zone)' })
  @IsISO8601({ strict: true, strictSeparator: true })
  from!: string;

  @ApiProperty({ example: '2026-12-02T19:00:00Z', description: 'End of the window, after `from`' })
  @IsISO8601({ strict: true, strictSeparator: true })
  @EndsAfterFrom()
  to!: string;

  @ApiProperty({ example: 'Engine overhaul at the Puerto Maldonado workshop' })
  @IsString()
  @Length(3, 500)
  reason!: string;

  @ApiPropertyOptional({
    example: 'OT-2026-0415',
    description: 'Supporting document: work order, transport permit (guía de remisión), etc.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  reference?: string;
}

export class CancelWindowDto {
  @ApiProperty({ example: 'Maintenance postponed' })
  @IsString()
  @Length(3, 500)
  reason!: string;
}
