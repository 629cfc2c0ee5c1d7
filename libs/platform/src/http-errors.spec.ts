import { ArgumentsHost, Logger } from '@nestjs/common';
import { HttpErrorFilter, tooManyRequests } from './http-errors';

/** The filter against a response that records what it was told. */
function answer(exception: unknown): { status: number; body: unknown; headers: Record<string, string> } {
  const sent = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const response = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
    setHeader(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return sent;
}

describe(HttpErrorFilter.name, () => {
  it('answers an unknown error with a bare 500 and keeps the details for the log', () => {
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    try {
      const error = new TypeError(
        "Cannot read properties of undefined (reading 'password_hash') at /srv/app/x.ts",
      );
      const sent = answer(error);
      expect(sent.status).toBe(500);
      expect(sent.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Internal server error',
      });
      expect(JSON.stringify(sent.body)).not.toMatch(/password_hash|\/srv/);
      expect(logged.join('\n')).toContain('password_hash');
    } finally {
      spy.mockRestore();
    }
  });

  it('sends Retry-After with a 429 and keeps the error shape', () => {
    const sent = answer(tooManyRequests('too many failed sign-ins for this username; try again in 42 s', 42));
    expect(sent.status).toBe(429);
    expect(sent.headers['retry-after']).toBe('42');
    expect(sent.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'too many failed sign-ins for this username; try again in 42 s',
    });
  });

  it('answers a body-parser error with its precise status', () => {
    const error = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
      limit: 100,
    });
    expect(answer(error)).toMatchObject({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large' },
    });
  });
});
