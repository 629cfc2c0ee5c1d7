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

/** 429 in the error shape; the error filter sends `Retry-After` with it. */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpException {
  return new HttpException(
    { statusCode: 429, error: 'Too Many Requests', message, retryAfterSeconds: Math.ceil(retryAfterSeconds) },
    429,
  );
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
    const retryAfter = retryAfterOf(exception);
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
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
    const refused = requestErrorBody(exception);
    if (refused) return refused;
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
    // Logged for the operators; the client learns nothing of the internals.
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}

function retryAfterOf(exception: unknown): number | undefined {
  if (!(exception instanceof HttpException)) return undefined;
  const payload = exception.getResponse();
  const seconds =
    typeof payload === 'object' && payload !== null && 'retryAfterSeconds' in payload
      ? payload.retryAfterSeconds
      : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** The errors Express, its body parsers and its router raise (http-errors): a status, a type, details. */
interface RequestError {
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly expose?: unknown;
  readonly type?: unknown;
  readonly limit?: unknown;
  readonly charset?: unknown;
  readonly encoding?: unknown;
  readonly message?: unknown;
}

const REQUEST_ERRORS: Readonly<Record<string, (e: RequestError) => [number, string]>> = {
  'entity.too.large': (e) => [
    413,
    typeof e.limit === 'number'
      ? `the request body is larger than the ${e.limit} bytes this route accepts`
      : 'the request body is too large',
  ],
  'parameters.too.many': () => [413, 'the request body has too many parameters'],
  'encoding.unsupported': (e) => [
    415,
    `content encoding "${printable(e.encoding)}" is not supported (identity, gzip, deflate, br)`,
  ],
  'charset.unsupported': (e) => [415, `charset "${printable(e.charset)}" is not supported; send UTF-8`],
  'entity.parse.failed': () => [400, 'the request body is not valid JSON'],
  'entity.verify.failed': () => [400, 'the request body was refused'],
  'request.aborted': () => [400, 'the request was aborted before its body arrived'],
  'request.size.invalid': () => [
    400,
    'the request body does not have the length its Content-Length header declares',
  ],
};

/**
 * A request the app could not even read (body too large, unsupported encoding or charset, unparsable JSON, bad
 * percent-encoding in the path, a stream error the parsers flag as the client's): the precise 4xx, or undefined
 * for any other error.
 */
export function requestErrorBody(exception: unknown): ErrorBody | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const e = exception as RequestError;
  const known = typeof e.type === 'string' ? REQUEST_ERRORS[e.type] : undefined;
  if (known) {
    const [statusCode, message] = known(e);
    return { statusCode, error: HTTP_REASONS[statusCode] ?? 'Bad Request', message };
  }
  // decodeURIComponent and encodeURI throw it on the client's input (bad percent-encoding, unpaired surrogates).
  if (exception instanceof URIError)
    return {
      statusCode: 400,
      error: 'Bad Request',
      message: 'the request holds malformed percent-encoding or invalid Unicode',
    };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message =
      e.expose === true && typeof e.message === 'string' ? printable(e.message) : 'the request was refused';
    return {
      statusCode: status,
      error: HTTP_REASONS[status] ?? HttpStatus[status] ?? 'Bad Request',
      message,
    };
  }
  return undefined;
}

const HTTP_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
};

/** A value echoed in an error message: short, without control characters. */
function printable(value: unknown): string {
  return (
    String(value)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
      .slice(0, 100)
  );
}
