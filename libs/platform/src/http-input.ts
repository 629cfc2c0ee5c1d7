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

/** A field's path, built only when an error names it (a large body has millions of array elements). */
interface PathNode {
  readonly parent: PathNode | undefined;
  readonly key: string | number;
}

function pathOf(node: PathNode | undefined): string {
  const keys: string[] = [];
  for (let at = node; at; at = at.parent) keys.push(String(at.key));
  return keys.reverse().join('.');
}

/**
 * Every string (and object key) of a request's body, query or path parameters that holds a forbidden character,
 * as field errors named by their path (`owner.name`, `points.3`); iterative, so nesting cannot exhaust the stack,
 * and linear: numbers are passed over without allocating.
 */
export function forbiddenTextFields(value: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const report = (node: PathNode | undefined, message: (field: string) => string) => {
    const field = pathOf(node) || 'body';
    errors.push({ field, messages: [message(field)] });
  };
  const rootNode: PathNode | undefined = root ? { parent: undefined, key: root } : undefined;
  // Each entry: a value holding strings or objects, and where it is (its parent's path and its key).
  const stack: Array<[object, PathNode | undefined]> = [];
  const check = (child: unknown, parent: PathNode | undefined, key: string | number): void => {
    if (typeof child === 'string') {
      const problem = textProblem(child);
      if (problem) report({ parent, key }, (field) => `${field} ${problem}`);
    } else if (typeof child === 'object' && child !== null && !isFlat(child)) {
      stack.push([child, { parent, key }]);
    } else if (Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        const text: unknown = child[i];
        if (typeof text !== 'string') continue;
        const problem = textProblem(text);
        if (problem) report({ parent: { parent, key }, key: i }, (field) => `${field} ${problem}`);
      }
    }
  };
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) report(rootNode, (field) => `${field} ${problem}`);
  } else if (typeof value === 'object' && value !== null) stack.push([value, rootNode]);
  while (stack.length > 0 && errors.length < 50) {
    const [current, node] = stack.pop()!;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child: unknown = current[i];
        if (typeof child === 'string' || (typeof child === 'object' && child !== null)) check(child, node, i);
      }
    } else {
      for (const key of Object.keys(current)) {
        const problem = textProblem(key);
        if (problem) report({ parent: node, key: printable(key) }, () => `a key ${problem}`);
        else check((current as Record<string, unknown>)[key], node, key);
      }
    }
  }
  return errors;
}

/** An array of numbers, booleans, nulls and strings only (coordinates, lists of codes): nothing nests below it. */
function isFlat(value: object): value is unknown[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const child: unknown = value[i];
    if (typeof child === 'object' && child !== null) return false;
  }
  return true;
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

/**
 * The path at which a parsed JSON value nests deeper than `limit`, if it does; iterative (no stack to exhaust) and
 * linear, passing over numbers and strings without allocating.
 */
export function tooDeepPath(value: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Array<[object, number, PathNode | undefined]> = [[value, 0, undefined]];
  while (stack.length > 0) {
    const [current, depth, node] = stack.pop()!;
    if (depth >= limit) return pathOf(node) || 'body';
    const children = Array.isArray(current) ? current : Object.values(current);
    const keys = Array.isArray(current) ? undefined : Object.keys(current);
    for (let i = 0; i < children.length; i++) {
      const child: unknown = children[i];
      if (typeof child !== 'object' || child === null) continue;
      // A flat array one level down nests no further: no need to visit it unless it is itself too deep.
      if (depth + 1 < limit && isFlat(child)) continue;
      stack.push([child, depth + 1, { parent: node, key: keys ? printable(keys[i]!) : i }]);
    }
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
    // As Node's own handler: answer only where nothing was written yet on the connection.
    if (!socket.writable || socket.bytesWritten > 0) {
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
