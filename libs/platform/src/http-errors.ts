import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ConflictException,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  UnprocessableEntityException,
  ValidationError,
} from '@nestjs/common';
import { asUniqueViolation } from '@app/db';
import { BrokerUnavailableError } from '@app/broker';
import type { Response } from 'express';

export interface FieldError {
  readonly field: string;
  readonly messages: string[];
}

/** The body of every error the API returns. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
  readonly errors?: FieldError[];
}

export function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

export function validationFailed(errors: FieldError[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: 'Validation failed',
    errors,
  } satisfies ErrorBody);
}

export function notFound(what: string, id: string): NotFoundException {
  return new NotFoundException({
    statusCode: 404,
    error: 'Not Found',
    message: `${what} ${id} does not exist`,
  });
}

export function conflict(field: string, message: string): ConflictException {
  return new ConflictException({
    statusCode: 409,
    error: 'Conflict',
    message,
    errors: [{ field, messages: [message] }],
  } satisfies ErrorBody);
}

export function unprocessable(message: string, field?: string): UnprocessableEntityException {
  return new UnprocessableEntityException({
    statusCode: 422,
    error: 'Unprocessable Entity',
    message,
    ...(field ? { errors: [{ field, messages: [message] }] } : {}),
  } satisfies ErrorBody);
}

/** A unique constraint and the field it protects, with the message a duplicate gets. */
export interface UniqueField {
  readonly field: string;
  readonly message: string;
}

/**
 * Formats every error as an ErrorBody. Unique violations that slipped past the services' own checks
 * (two clerks racing) become the same 409 the checks would have given, for the constraints in `uniqueFields`.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly uniqueFields: Readonly<Record<string, UniqueField>> = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const payload = exception.getResponse();
      if (
        typeof payload === 'object' &&
        payload !== null &&
        'message' in payload &&
        'statusCode' in payload
      ) {
        const p = payload as { statusCode: number; message: unknown; error?: unknown; errors?: FieldError[] };
        return {
          statusCode: p.statusCode,
          error: typeof p.error === 'string' ? p.error : (HttpStatus[p.statusCode] ?? 'Error'),
          message: Array.isArray(p.message) ? p.message.join('; ') : String(p.message),
          ...(p.errors ? { errors: p.errors } : {}),
        };
      }
      return { statusCode: exception.getStatus(), error: exception.name, message: exception.message };
    }
    if (exception instanceof BrokerUnavailableError) {
      this.logger.warn(exception.message);
      return {
        statusCode: 503,
        error: 'Service Unavailable',
        message: `the MQTT broker could not be updated: ${exception.message}`,
      };
    }
    const unique = asUniqueViolation(exception);
    if (unique) {
      const known = this.uniqueFields[unique.constraint] ?? {
        field: unique.constraint,
        message: 'duplicate value',
      };
      return {
        statusCode: 409,
        error: 'Conflict',
        message: known.message,
        errors: [{ field: known.field, messages: [known.message] }],
      };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}
