import * as net from 'node:net';

export interface RawRequest {
  readonly method: string;
  /** Sent as is: may hold bad percent-encoding, NUL bytes and the like. */
  readonly target: string;
  /** Header lines as bytes (may be invalid UTF-8 or hold non-ASCII characters); Host and Connection are added. */
  readonly headers: ReadonlyArray<readonly [string, string | Buffer]>;
  readonly body?: Buffer;
  /** Content-Length sent; by default the body's length (none without a body). */
  readonly contentLength?: number;
  /** Ends the connection after this many bytes of the body, without waiting for an answer (an aborted upload). */
  readonly abortAfter?: number;
}

export interface RawResponse {
  /** Undefined when the server closed the connection without answering. */
  readonly status: number | undefined;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * One HTTP/1.1 request over a socket of its own, written byte for byte (no client library refuses what a hostile
 * client may send). Resolves with the status line and body; an event stream is cut as soon as its headers arrive.
 */
export function rawRequest(port: number, request: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no answer in ${timeoutMs} ms to ${request.method} ${request.target}`));
    }, timeoutMs);
    const finish = (): RawResponse | undefined => {
      if (settled) return undefined;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      return parse(Buffer.concat(chunks));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const sofar = Buffer.concat(chunks);
      const end = sofar.indexOf('\r\n\r\n');
      if (end >= 0 && /content-type:\s*text\/event-stream/i.test(sofar.subarray(0, end).toString('latin1'))) {
        const response = finish();
        if (response) resolve(response);
      }
    });
    socket.on('error', () => {
      const response = finish();
      if (response) resolve(response);
    });
    socket.on('close', () => {
      const response = finish();
      if (response) resolve(response);
    });
    socket.on('connect', () => {
      const body = request.body ?? Buffer.alloc(0);
      const length = request.contentLength ?? (request.body ? body.length : undefined);
      const lines: Buffer[] = [
        Buffer.from(
          `${request.method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`,
          'latin1',
        ),
        ...request.headers.map(([name, value]) =>
          Buffer.concat([
            Buffer.from(`${name}: `, 'latin1'),
            Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'),
            Buffer.from('\r\n'),
          ]),
        ),
        Buffer.from(length === undefined ? '\r\n' : `Content-Length: ${length}\r\n\r\n`, 'latin1'),
      ];
      socket.write(Buffer.concat(lines));
      if (request.abortAfter !== undefined) {
        socket.end(body.subarray(0, request.abortAfter));
        return;
      }
      if (body.length > 0) socket.write(body);
    });
  });
}

function parse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end >= 0 ? raw.subarray(0, end) : raw).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = end >= 0 ? raw.subarray(end + 4) : Buffer.alloc(0);
  return {
    status: status === undefined ? undefined : Number(status),
    contentType: headers['content-type'],
    headers,
    body: /chunked/i.test(headers['transfer-encoding'] ?? '') ? dechunk(body) : body,
  };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
