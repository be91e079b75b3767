/**
 * `candor relay`: an Oblivious Relay Resource (RFC 9458). It passes encapsulated requests from devices to one
 * gateway and the encapsulated answers back. It holds no key, so it cannot read what it carries; it sees each
 * device's address, uses it only for an in-memory rate limit, and passes on nothing about the device: the
 * request it makes is built afresh, with the ciphertext, its content type and length, and nothing else.
 *
 * It lives in the server package with the collector's other HTTP surfaces (hono, the logger that keeps no
 * addresses, the rate limiter, RFC 9457 problems), but imports none of the collector's keys or opening code.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OHTTP_REQUEST_TYPE, OHTTP_RESPONSE_TYPE } from '@candor/protocol';
import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { problemResponse } from '../http/problem-response.js';
import { readLimited } from '../ingest/route.js';
import { DEFAULT_LIMITS } from '../limits/limits.js';
import { DEFAULT_BURST, DEFAULT_RATE_PER_MINUTE, RateLimiter } from '../limits/rate.js';
import { createLogger, type LogOptions } from '../log.js';
import { type Problem, problem } from '../problem.js';

/** A sealed upload is at most the collector's body limit plus the encapsulation's few dozen bytes. */
export const DEFAULT_RELAY_MAX_BODY_BYTES = DEFAULT_LIMITS.maxBodyBytes + 1024;
const GATEWAY_TIMEOUT_MS = 30_000;

export interface RelayOptions {
  /** The Oblivious Gateway Resource every request goes to, e.g. https://collector.example/ohttp-gateway. */
  gateway: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Encapsulated requests larger than this are refused without being read. */
  maxBodyBytes?: number;
  /** Origins whose pages may send through the relay (CORS). */
  allowOrigins?: string[];
  /** Per-device rate limit (uploads a minute); false turns it off. */
  ratePerMinute?: number | false;
  /** Answers the gateway request; default: global fetch. Tests capture what leaves the relay here. */
  fetch?: typeof fetch;
  log?: LogOptions;
}

export interface Relay {
  url: string;
  port: number;
  stats: { relayed: number; refused: number };
  close(): Promise<void>;
}

/** The relay's routes, without a socket: `address` reads the peer for the rate limit (never logged or kept). */
export function createRelayApp(
  options: RelayOptions,
  address: (c: Context) => string,
  stats: Relay['stats'] = { relayed: 0, refused: 0 },
): Hono {
  const gateway = new URL(options.gateway);
  if (!/^https?:$/.test(gateway.protocol)) throw new Error(`gateway: "${options.gateway}" is not an http(s) URL`);
  const log = createLogger({ service: 'candor-relay', ...options.log });
  const maxBody = options.maxBodyBytes ?? DEFAULT_RELAY_MAX_BODY_BYTES;
  const rate =
    options.ratePerMinute === false
      ? null
      : new RateLimiter(options.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE, DEFAULT_BURST);
  const fetchImpl = options.fetch ?? fetch;
  const refuse = (c: Context, p: Problem, headers: Record<string, string> = {}) => {
    stats.refused++;
    // The problem type only: never the address, a header or a byte of the body.
    log.info({ status: p.status, problem: p.type }, 'relay refused a request');
    return problemResponse(c, p, headers);
  };

  const app = new Hono();
  if (options.allowOrigins?.length) {
    app.use(
      '/',
      cors({
        origin: options.allowOrigins,
        allowMethods: ['POST', 'OPTIONS'],
        allowHeaders: ['content-type'],
        maxAge: 600,
      }),
    );
  }
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.post('/', async (c) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== OHTTP_REQUEST_TYPE) {
      return refuse(
        c,
        problem(415, 'unsupported-media-type', 'The relay forwards Oblivious HTTP requests only', {
          detail: `send ${OHTTP_REQUEST_TYPE}`,
          field: 'content-type',
        }),
      );
    }
    if (rate) {
      const wait = rate.take(address(c));
      if (wait > 0) {
        return refuse(c, problem(429, 'rate-limited', 'Too many requests', { detail: `retry in ${wait} s` }), {
          'retry-after': String(wait),
        });
      }
    }
    const body = await readLimited(c.req.raw, maxBody);
    if (body === 'too-large') {
      return refuse(
        c,
        problem(413, 'too-large', 'Encapsulated request too large', {
          detail: `at most ${maxBody} bytes`,
          field: 'body',
        }),
      );
    }
    let answer: Response;
    try {
      // A new request: the device's headers (user agent, cookies, forwarded-for, origin) never reach the gateway.
      answer = await fetchImpl(gateway, {
        method: 'POST',
        headers: { 'content-type': OHTTP_REQUEST_TYPE },
        body: body as Uint8Array<ArrayBuffer>,
        redirect: 'error',
        signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return refuse(
        c,
        problem(timedOut ? 504 : 502, 'gateway-unavailable', 'The gateway did not answer', {
          detail: timedOut ? `no answer within ${GATEWAY_TIMEOUT_MS / 1000} s` : 'the gateway could not be reached',
        }),
        { 'retry-after': '30' },
      );
    }
    stats.relayed++;
    log.debug({ status: answer.status }, 'relayed');
    // Back to the device: the status, the body and the few headers that describe it; nothing the gateway adds.
    const headers: Record<string, string> = { 'cache-control': 'private, no-store' };
    for (const name of ['content-type', 'retry-after']) {
      const value = answer.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (answer.status === 200 && headers['content-type'] !== OHTTP_RESPONSE_TYPE) {
      await answer.body?.cancel();
      return refuse(
        c,
        problem(502, 'gateway-unavailable', 'The gateway answered something other than message/ohttp-res'),
      );
    }
    return c.body(await answer.arrayBuffer(), answer.status as 200, headers);
  });
  app.notFound((c) => refuse(c, problem(404, 'not-found', 'The relay has one route: POST /', { field: 'path' })));
  return app;
}

/** Starts the relay on HOST:PORT. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const stats = { relayed: 0, refused: 0 };
  const app = createRelayApp(
    options,
    (c) => {
      try {
        return getConnInfo(c).remote.address ?? '';
      } catch {
        return '';
      }
    },
    stats,
  );
  const host = options.host ?? '127.0.0.1';
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ready());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    stats,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
