import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { LIVE_PAGE } from './live-page.js';

/** One line of the live view: a request with findings, or a host whose client refused the certificate. */
export type LiveEvent =
  | {
      kind: 'request';
      method: string;
      url: string;
      host: string;
      domain: string;
      protocol: string;
      findings: Array<{
        severity: string;
        category: string;
        detector: string;
        location: string;
        field: string;
        evidence: string;
      }>;
    }
  | { kind: 'pinned'; host: string };

/** Events a page that connects late still receives; older ones are only in the HAR. */
const HISTORY = 2000;

/**
 * The live view: a page on 127.0.0.1 that lists findings as they arrive, grouped by destination, fed by
 * server-sent events. It listens on the loopback address only, since it shows the evidence itself.
 */
export class LiveView {
  private readonly history: LiveEvent[] = [];
  private readonly subscribers = new Set<(event: LiveEvent) => void>();
  private server?: Server;

  publish(event: LiveEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    for (const send of this.subscribers) send(event);
  }

  app(): Hono {
    const app = new Hono();
    // A web page whose name is re-pointed at 127.0.0.1 (DNS rebinding) would be same-origin with the view; its
    // requests still carry that name in Host, so only loopback names are answered.
    app.use('*', async (c, next) => {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
      if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') return c.text('unknown host\n', 421);
      await next();
    });
    app.get('/', (c) => c.html(LIVE_PAGE));
    app.get('/events', (c) =>
      streamSSE(c, async (stream) => {
        const queue: LiveEvent[] = [...this.history];
        let wake: (() => void) | undefined;
        const send = (event: LiveEvent) => {
          queue.push(event);
          wake?.();
        };
        this.subscribers.add(send);
        let open = true;
        stream.onAbort(() => {
          open = false;
          wake?.();
        });
        try {
          while (open) {
            const event = queue.shift();
            if (event) await stream.writeSSE({ data: JSON.stringify(event) });
            else await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          this.subscribers.delete(send);
        }
      }),
    );
    return app;
  }

  async listen(port: number): Promise<string> {
    const server = createServer(getRequestListener(this.app().fetch));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
