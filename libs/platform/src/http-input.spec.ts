import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { IsString, MaxLength } from 'class-validator';
import { requestErrorBody } from './http-errors';
import {
  forbiddenTextFields,
  InputValidationPipe,
  MAX_JSON_DEPTH,
  textProblem,
  tooDeepPath,
} from './http-input';

describe(textProblem.name, () => {
  it.each([
    ['plain text', 'Río Madre de Dios'],
    ['tab and line breaks', 'first line\r\n\tsecond'],
    ['an emoji (a surrogate pair)', 'excavadora 🚜'],
    ['Quechua and accents', 'Ñawpaq ayllu, Cusco'],
  ])('accepts %s', (_name, value) => expect(textProblem(value)).toBeUndefined());

  it.each([
    ['NUL', 'ab\u0000cd'],
    ['escape', '\u001b[31m'],
    ['backspace', 'a\u0008'],
    ['DEL', 'a\u007f'],
    ['a C1 control', 'a\u0085'],
  ])('refuses %s as a control character', (_name, value) =>
    expect(textProblem(value)).toMatch(/control characters/),
  );

  it.each([
    ['a lone high surrogate', 'x\ud800y'],
    ['a lone low surrogate', 'x\udc00'],
    ['a reversed pair', '\udc00\ud800'],
  ])('refuses %s as invalid Unicode', (_name, value) => expect(textProblem(value)).toMatch(/valid Unicode/));
});

describe(forbiddenTextFields.name, () => {
  it('names every offending field by its path, keys included', () => {
    const errors = forbiddenTextFields({
      name: 'ok',
      owner: { document: '1\u0000' },
      points: ['a', 'b\u001b'],
      ['bad\u0000key']: 1,
    });
    expect(errors.map((e) => e.field).sort()).toEqual(['bad\\u0000key', 'owner.document', 'points.1']);
    expect(errors.find((e) => e.field === 'owner.document')!.messages[0]).toMatch(
      /^owner.document must not contain control characters/,
    );
  });

  it('prefixes a query or path parameter with its name', () => {
    expect(forbiddenTextFields('a\u0000', 'id')).toEqual([{ field: 'id', messages: [expect.any(String)] }]);
  });

  it('walks a deeply nested value without exhausting the stack', () => {
    let value: unknown = 'x\u0000';
    for (let i = 0; i < 200_000; i++) value = [value];
    expect(forbiddenTextFields(value)).toHaveLength(1);
  });
});

describe(tooDeepPath.name, () => {
  it('lets a GeoJSON MultiPolygon through and names the path where a body nests too deep', () => {
    const multiPolygon = { type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [[[[1, 2]]]] } };
    expect(tooDeepPath({ features: [multiPolygon] })).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = { a: deep };
    expect(tooDeepPath(deep)).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
  });

  it('checks a million levels iteratively', () => {
    const value: unknown = JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000));
    expect(tooDeepPath(value)).toBe(Array(MAX_JSON_DEPTH).fill('0').join('.'));
  });
});

describe(requestErrorBody.name, () => {
  const httpError = (status: number, type: string | undefined, extra: object = {}) =>
    Object.assign(new Error('raw message'), { status, statusCode: status, expose: true, type, ...extra });

  it.each([
    [httpError(413, 'entity.too.large', { limit: 1048576 }), 413, 'Payload Too Large', /1048576 bytes/],
    [
      httpError(415, 'encoding.unsupported', { encoding: 'compress' }),
      415,
      'Unsupported Media Type',
      /"compress"/,
    ],
    [
      httpError(415, 'charset.unsupported', { charset: 'klingon' }),
      415,
      'Unsupported Media Type',
      /"klingon".*UTF-8/,
    ],
    [httpError(400, 'entity.parse.failed', { body: '{"secret":' }), 400, 'Bad Request', /not valid JSON/],
    [httpError(400, 'request.aborted'), 400, 'Bad Request', /aborted/],
    [httpError(400, 'request.size.invalid'), 400, 'Bad Request', /Content-Length/],
    [httpError(413, 'parameters.too.many'), 413, 'Payload Too Large', /too many parameters/],
    [new URIError('URI malformed'), 400, 'Bad Request', /percent-encoding/],
    [httpError(400, undefined), 400, 'Bad Request', /raw message/],
  ])(
    'maps request error #%# (body-parser, router, URL) to a precise 4xx',
    (error, statusCode, reason, message) => {
      const body = requestErrorBody(error)!;
      expect(body).toMatchObject({ statusCode, error: reason });
      expect(body.message).toMatch(message);
      expect(JSON.stringify(body)).not.toContain('secret');
    },
  );

  it('leaves server-side errors alone (they stay 500)', () => {
    expect(requestErrorBody(new TypeError('x is undefined'))).toBeUndefined();
    expect(requestErrorBody(httpError(500, 'stream.not.readable'))).toBeUndefined();
    expect(requestErrorBody(Object.assign(new Error('pg'), { code: '22021' }))).toBeUndefined();
  });

  it('does not echo a message the error marks as not for the client, nor control characters', () => {
    expect(requestErrorBody({ status: 400, expose: false, message: 'internal detail' })!.message).toBe(
      'the request was refused',
    );
    expect(requestErrorBody({ status: 400, expose: true, message: 'a\u0000b' })!.message).toBe('a?b');
  });
});

describe(InputValidationPipe.name, () => {
  class Dto {
    @IsString()
    @MaxLength(5)
    name!: string;

    @IsString()
    other!: string;
  }
  const pipe = new InputValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true });
  const body: ArgumentMetadata = { type: 'body', metatype: Dto };

  it('reports control characters with every other invalid field at once', async () => {
    const error = await pipe.transform({ name: 'a\u0000', other: 3 }, body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    const response = (error as BadRequestException).getResponse() as { errors: Array<{ field: string }> };
    expect(response.errors.map((e) => e.field).sort()).toEqual(['name', 'other']);
  });

  it('passes clean input through to the DTO', async () => {
    await expect(pipe.transform({ name: 'ok', other: 'ñ\n' }, body)).resolves.toBeInstanceOf(Dto);
  });

  it('checks query and path parameters under their names', async () => {
    const error = await pipe
      .transform('x\u001b', { type: 'param', data: 'id', metatype: String })
      .catch((e: unknown) => e);
    const response = (error as BadRequestException).getResponse() as { errors: Array<{ field: string }> };
    expect(response.errors[0]!.field).toBe('id');
  });
});
