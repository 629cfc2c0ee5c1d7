import {
  ArgumentMetadata,
  BadRequestException,
  HttpException,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorBody, FieldError, fieldErrors, requestErrorBody, validationFailed } from './http-errors';

/** Deepest nesting of arrays and objects a JSON body may have (a GeoJSON MultiPolygon needs 8). */
export const MAX_JSON_DEPTH = 32;

/**
 * Characters no text field of the API may hold: C0 controls other than tab, line feed and carriage return
 * (NUL among them, which PostgreSQL refuses in text and JSON), DEL, C1 controls, and UTF-16 surrogates that are
 * not part of a pair (JSON allows `"\ud800"`; PostgreSQL's jsonb refuses it).
 */
const FORBIDDEN = '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\ud800-\\udfff]';
/** With the u flag a surrogate pair is one code point, so only unpaired surrogates match. */
const FORBIDDEN_CHARACTER = new RegExp(FORBIDDEN, 'u');
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

/** Why a string may not be stored, or undefined when it may. */
export function textProblem(value: string): string | undefined {
  const found = FORBIDDEN_CHARACTER.exec(value)?.[0];
  if (found === undefined) return undefined;
  return UNPAIRED_SURROGATE.test(found)
    ? 'must be valid Unicode text (an unpaired surrogate was sent)'
    : 'must not contain control characters (NUL, escape and the like; tab and line breaks are allowed)';
}

/**
 * Every string (and object key) of a request's body, query or path parameters that holds a forbidden character,
 * as field errors named by their path (`owner.name`, `points.3`); iterative, so nesting cannot exhaust the stack.
 */
export function forbiddenTextFields(value: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0 && errors.length < 50) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) errors.push({ field: path || 'body', messages: [`${path || 'body'} ${problem}`] });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], join(path, String(i))]);
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const field = join(path, key);
        const problem = textProblem(key);
        if (problem) errors.push({ field: join(path, printable(key)), messages: [`a key ${problem}`] });
        else stack.push([child, field]);
      }
    }
  }
  return errors;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** A key as it may be echoed back in an error: forbidden characters written as \uXXXX. */
function printable(key: string): string {
  return key.replace(
    new RegExp(FORBIDDEN, 'gu'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Nest's ValidationPipe, every invalid field reported in the error shape, that also refuses forbidden characters in body, query and path parameters, reporting them
 * with every other invalid field at once.
 */
export class InputValidationPipe extends ValidationPipe {
  constructor(options: ValidationPipeOptions) {
    super({ exceptionFactory: (errors) => validationFailed(fieldErrors(errors)), ...options });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom') return super.transform(value, metadata);
    const root = metadata.type === 'body' ? '' : (metadata.data ?? '');
    const forbidden = forbiddenTextFields(value, root);
    if (forbidden.length === 0) return super.transform(value, metadata);
    // The other fields are validated on a copy without the refused characters (some validators throw on them:
    // encodeURI on an unpaired surrogate), so that every invalid field is reported at once.
    let others: FieldError[] = [];
    try {
      await super.transform(withoutForbidden(value), metadata);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      const body = error.getResponse() as Partial<ErrorBody>;
      others = (body.errors ?? []).filter((e) => !forbidden.some((f) => f.field === e.field));
    }
    throw validationFailed([...forbidden, ...others]);
  }
}

/** A copy of a value with every forbidden character replaced (bodies are at most MAX_JSON_DEPTH deep). */
function withoutForbidden(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(new RegExp(FORBIDDEN, 'gu'), '\uFFFD');
  if (Array.isArray(value)) return value.map(withoutForbidden);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [withoutForbidden(key) as string, withoutForbidden(child)]),
    );
  return value;
}

/**
 * A body parser whose errors (too large, unsupported charset or encoding, unparsable) reach the error filter as
 * the precise 4xx, before Nest's own mapping turns a JSON syntax error into a 400 that echoes the parser's message.
 */
export function refusingUnreadableBodies(parser: RequestHandler): RequestHandler {
  return (request, response, next) =>
    parser(request, response, (error?: unknown) => {
      if (error === undefined || error === null || error === 'route' || error === 'router')
        return next(error);
      const body = requestErrorBody(error);
      next(body ? new HttpException(body, body.statusCode) : error);
    });
}

/** The deepest path of a parsed JSON value, if it nests deeper than `limit` (iteratively: no stack to exhaust). */
export function tooDeepPath(value: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number, string]> = [[value, 0, '']];
  while (stack.length > 0) {
    const [current, depth, path] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return path || 'body';
    const entries = Array.isArray(current)
      ? current.map((v, i) => [String(i), v] as const)
      : Object.entries(current);
    for (const [key, child] of entries) stack.push([child, depth + 1, join(path, printable(key))]);
  }
  return undefined;
}

/** Express middleware after the JSON parsers: a body nested deeper than MAX_JSON_DEPTH is a 400. */
export function jsonDepthLimit(limit = MAX_JSON_DEPTH) {
  return (request: Request, _response: Response, next: NextFunction): void => {
    const body: unknown = request.body;
    const path = typeof body === 'object' && body !== null ? tooDeepPath(body, limit) : undefined;
    if (path === undefined) return next();
    const message = `the body nests arrays and objects deeper than ${limit} levels`;
    next(
      new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message,
        errors: [{ field: path, messages: [message] }],
      } satisfies ErrorBody),
    );
  };
}

/**
 * Requests Node's HTTP parser refuses before the app sees them (malformed request line or headers, headers too
 * large) answered in the API's error format instead of an empty 400.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const [statusCode, reason, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request took too long to arrive']
          : [400, 'Bad Request', 'malformed HTTP request (request line or headers)'];
    const body = JSON.stringify({ statusCode, error: reason, message } satisfies ErrorBody);
    socket.end(
      `HTTP/1.1 ${statusCode} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
