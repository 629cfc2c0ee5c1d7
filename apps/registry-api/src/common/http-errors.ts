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

/** Unique constraints the registry relies on, and the field each one protects. */
const UNIQUE_FIELDS: Record<string, { field: string; message: string }> = {
  owners_document_type_document_number_key: {
    field: 'documentNumber',
    message: 'an owner with this document is already registered',
  },
  machines_serial_number_key: {
    field: 'serialNumber',
    message: 'a machine with this serial number is already registered',
  },
  machines_registry_number_key: {
    field: 'registryNumber',
    message: 'this registry number is already issued',
  },
  trackers_imei_key: { field: 'imei', message: 'a tracker with this IMEI is already registered' },
  tracker_bindings_open_tracker_idx: {
    field: 'trackerId',
    message: 'the tracker is already bound to a machine',
  },
  tracker_bindings_open_machine_idx: {
    field: 'machineId',
    message: 'the machine already has a bound tracker',
  },
  users_username_key: { field: 'username', message: 'this username is taken' },
  agencies_code_key: { field: 'code', message: 'an agency with this code exists' },
};

/**
 * Formats every error as an ErrorBody. Unique violations that slipped past the services' own checks
 * (two clerks racing) become the same 409 the checks would have given.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

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
      const known = UNIQUE_FIELDS[unique.constraint] ?? {
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
