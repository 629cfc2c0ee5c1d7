import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@app/config';
import { HostResolver } from '@app/dispatch';
import { WebhookSender, pinnedLookup } from './channels';

const SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

/** A receiver on the loopback address that answers `status` and counts the requests it got. */
async function receiver(
  status: number,
  tls?: { key: string; cert: string },
): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function sender(allowed: string, resolver?: HostResolver): WebhookSender {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-webhooks-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    WEBHOOK_ALLOWED_HOSTS: allowed,
    DISPATCH_WEBHOOK_TIMEOUT_MS: '300',
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return new WebhookSender(config, resolver);
}

const send = (webhooks: WebhookSender, url: string) =>
  webhooks.send(url, SECRET, 'evt-1', '{"specversion":"1.0"}', new AbortController().signal);

describe(WebhookSender.name, () => {
  it('refuses at delivery a public-looking name that resolves to a private address (DNS rebinding), without connecting', async () => {
    const target = await receiver(204);
    const asked: string[] = [];
    // Registered while it resolved to a public address; now it answers with the loopback address of the receiver.
    const rebinding: HostResolver = async (host) => {
      asked.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    try {
      const result = await send(sender('', rebinding), `https://alertas.example.pe:${target.port}/hook`);
      expect(result).toEqual({ ok: false, status: null, error: 'address not allowed' });
      expect(asked).toEqual(['alertas.example.pe']);
      expect(target.requests()).toBe(0);

      // One private address among public ones is enough to refuse.
      const mixed: HostResolver = async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:169.254.169.254', family: 6 },
      ];
      expect((await send(sender('', mixed), 'https://alertas.example.pe/hook')).error).toBe(
        'address not allowed',
      );
    } finally {
      await target.close();
    }
  });

  it('refuses at delivery webhooks registered before the rule: private literals and plain http', async () => {
    const target = await receiver(204);
    try {
      const strict = sender('');
      expect((await send(strict, `http://127.0.0.1:${target.port}/hook`)).error).toBe('address not allowed');
      expect((await send(strict, `https://[::1]:${target.port}/hook`)).error).toBe('address not allowed');
      expect((await send(strict, 'http://alertas.example.pe/hook')).error).toBe('address not allowed');
      expect(target.requests()).toBe(0);
      // The same receiver on the allow-list is delivered to.
      expect(await send(sender('127.0.0.1'), `http://127.0.0.1:${target.port}/hook`)).toEqual({
        ok: true,
        status: 204,
        error: null,
      });
      expect(target.requests()).toBe(1);
    } finally {
      await target.close();
    }
  });

  it('records failures as categories, without addresses or ports', async () => {
    const unavailable = await receiver(503);
    const closed = await receiver(204);
    const closedPort = closed.port;
    await closed.close();
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-webhook-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ]),
      { stdio: 'ignore' },
    );
    const selfSigned = await receiver(204, {
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    });
    const webhooks = sender('127.0.0.1');
    try {
      const results = {
        http503: await send(webhooks, `http://127.0.0.1:${unavailable.port}/hook`),
        refused: await send(webhooks, `http://127.0.0.1:${closedPort}/hook`),
        timeout: await send(webhooks, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`),
        tls: await send(webhooks, `https://127.0.0.1:${selfSigned.port}/hook`),
      };
      expect(results).toEqual({
        http503: { ok: false, status: 503, error: 'HTTP 503' },
        refused: { ok: false, status: null, error: 'connection refused' },
        timeout: { ok: false, status: null, error: 'timeout' },
        tls: { ok: false, status: null, error: 'TLS error' },
      });
      for (const result of Object.values(results)) {
        expect(result.error).not.toMatch(/127\.0\.0\.1|\d{4,5}|ECONN/);
      }
    } finally {
      await unavailable.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await selfSigned.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins the connection to the address that was checked', () => {
    const lookup = pinnedLookup({ address: '93.184.216.34', family: 4 }) as unknown as (
      host: string,
      options: { all?: boolean },
      callback: (...args: unknown[]) => void,
    ) => void;
    const answers: unknown[][] = [];
    lookup('alertas.example.pe', { all: true }, (...args) => answers.push(args));
    lookup('alertas.example.pe', {}, (...args) => answers.push(args));
    expect(answers).toEqual([
      [null, [{ address: '93.184.216.34', family: 4 }]],
      [null, '93.184.216.34', 4],
    ]);
  });
});
