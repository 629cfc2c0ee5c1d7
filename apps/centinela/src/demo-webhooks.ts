import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { verifyWebhook } from '@app/dispatch';

/** One alert the dispatcher delivered to a demo agency's webhook. */
export interface DemoDelivery {
  readonly agency: string;
  readonly type: string;
  /** The violation (or integrity alert) the event is about. */
  readonly subject: string;
  /** The Standard Webhooks signature checked out with the channel's secret. */
  readonly verified: boolean;
}

const PATH_PREFIX = '/demo-webhook/';

/**
 * A webhook receiver inside the main job, standing in for the agencies' own systems during the demo: every
 * demo agency's channel points here (`/demo-webhook/{code}`), so the deliveries the dispatcher makes are
 * visible. It verifies each signature with the secret the channel was created with and answers 204.
 */
export class DemoWebhookReceiver {
  private server: http.Server | undefined;
  private readonly secrets = new Map<string, string>();
  private listener: ((delivery: DemoDelivery) => void) | undefined;
  private port = 0;

  /** The channel URL of one agency. */
  urlFor(agencyCode: string): string {
    return `http://127.0.0.1:${this.port}${PATH_PREFIX}${encodeURIComponent(agencyCode)}`;
  }

  /** Whether a channel URL is one of a demo receiver (of this run or an earlier one). */
  static isDemoUrl(url: string | null): boolean {
    if (!url) return false;
    try {
      const parsed = new URL(url);
      return parsed.hostname === '127.0.0.1' && parsed.pathname.startsWith(PATH_PREFIX);
    } catch {
      return false;
    }
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}${PATH_PREFIX}`;
  }

  /** The signing secret the registry answered when the agency's channel was created. */
  trust(agencyCode: string, secret: string): void {
    this.secrets.set(agencyCode, secret);
  }

  onDelivery(listener: (delivery: DemoDelivery) => void): void {
    this.listener = listener;
  }

  async start(): Promise<this> {
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '';
        if (request.method !== 'POST' || !path.startsWith(PATH_PREFIX)) {
          response.writeHead(404).end();
          return;
        }
        const agency = decodeURIComponent(path.slice(PATH_PREFIX.length));
        const body = Buffer.concat(chunks).toString('utf8');
        response.writeHead(204).end();
        this.listener?.(this.read(agency, request.headers, body));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private read(agency: string, headers: http.IncomingHttpHeaders, body: string): DemoDelivery {
    const header = (name: string) => String(headers[name] ?? '');
    const secret = this.secrets.get(agency);
    const verified =
      secret !== undefined &&
      verifyWebhook(
        secret,
        {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        },
        body,
        new Date(),
      ).valid;
    let type = '?';
    let subject = '';
    try {
      const event = JSON.parse(body) as { type?: unknown; subject?: unknown };
      type = String(event.type ?? '?');
      subject = String(event.subject ?? '');
    } catch {
      // An unreadable body still counts as a delivery; it simply shows no type.
    }
    return { agency, type, subject, verified };
  }
}
