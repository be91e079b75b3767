import {
  OHTTP_KEYS_TYPE,
  OHTTP_PATHS,
  OHTTP_REQUEST_TYPE,
  OHTTP_RESPONSE_TYPE,
  PATHS,
  PROBLEM_OHTTP_KEY,
  SEALED_CONTENT_TYPE,
} from '@candor/protocol';
import { BHttpDecoder, BHttpEncoder } from 'bhttp-js';
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { problemResponse } from '../http/problem-response.js';
import { peerAddress, readLimited } from '../ingest/route.js';
import type { OhttpKeys } from '../keys/ohttp.js';
import type { RateLimiter } from '../limits/rate.js';
import { PROBLEM_CONTENT_TYPE, type Problem, problem } from '../problem.js';
import { decapsulateRequest } from './encapsulation.js';

export interface GatewayDeps {
  keys: OhttpKeys;
  /**
   * Answers the inner request in-process: the collector's upload route, without a socket, so the request it
   * sees carries no address at all (not even the relay's) and no header but its content type.
   */
  forward: (request: Request) => Promise<Response>;
  /** The largest sealed upload the collector takes; the encapsulation adds a fixed few dozen bytes. */
  maxBodyBytes: number;
  /**
   * Per peer: a relay carries many devices, so its allowance is far larger than one device's, but a client
   * posting to the gateway directly cannot go around the collector's rate limit. Null turns it off.
   */
  rate: RateLimiter | null;
  log: Logger;
}

/** Binary HTTP framing, the request header, enc and tag: generous, so only the upload's own limit matters. */
const ENCAPSULATION_OVERHEAD = 1024;
/** The headers of the upload route's answer that go back, encapsulated, to the client. */
const FORWARDED_HEADERS = ['content-type', 'retry-after', 'cache-control'];

/**
 * The Oblivious Gateway Resource (RFC 9458): serves the gateway's key configuration and opens encapsulated
 * uploads that a relay forwards. The relay's address is the only one the collector's socket sees, and it stops
 * here: the inner request is handed to the upload route in-process, with none of the outer request's headers.
 */
export function mountGateway(app: Hono, deps: GatewayDeps): void {
  const reject = (c: Context, p: Problem, headers: Record<string, string> = {}) => {
    deps.log.info({ status: p.status, problem: p.type }, 'relayed request rejected');
    return problemResponse(c, p, headers);
  };

  app.get(OHTTP_PATHS.keys, (c) =>
    c.body(deps.keys.encoded as Uint8Array<ArrayBuffer>, 200, {
      'content-type': OHTTP_KEYS_TYPE,
      // Long-lived and identical for everyone, so clients fetch it rarely (RFC 9458 section 7: key consistency).
      'cache-control': 'public, max-age=86400',
    }),
  );

  app.post(OHTTP_PATHS.gateway, async (c) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== OHTTP_REQUEST_TYPE) {
      return reject(
        c,
        problem(415, 'unsupported-media-type', 'The gateway takes encapsulated requests only', {
          detail: `send ${OHTTP_REQUEST_TYPE}`,
          field: 'content-type',
        }),
      );
    }
    const wait = deps.rate?.take(peerAddress(c)) ?? 0;
    if (wait > 0) {
      return reject(c, problem(429, 'rate-limited', 'Too many requests', { detail: `retry in ${wait} s` }), {
        'retry-after': String(wait),
      });
    }
    const body = await readLimited(c.req.raw, deps.maxBodyBytes + ENCAPSULATION_OVERHEAD);
    if (body === 'too-large') {
      return reject(c, problem(413, 'too-large', 'Encapsulated request too large', { field: 'body' }));
    }
    let result = decapsulateRequest(body, (id) => deps.keys.recipientFor(id));
    if (!result.ok && result.failure.reason === 'key') {
      // Perhaps a key rotated in by another process (`candor keys rotate`): re-read the keys (rate limited) and
      // try once more. A retired key stays refused, so its clients fetch the configuration again.
      await deps.keys.refreshIfStale();
      result = decapsulateRequest(body, (id) => deps.keys.recipientFor(id));
    }
    if (!result.ok) {
      const { reason, detail } = result.failure;
      if (reason === 'key') {
        return reject(
          c,
          problem(400, PROBLEM_OHTTP_KEY, 'Oblivious HTTP key configuration not acceptable', {
            detail: `${detail}; fetch ${OHTTP_PATHS.keys} again`,
            keys: OHTTP_PATHS.keys,
          }),
        );
      }
      return reject(
        c,
        problem(400, reason === 'decrypt' ? 'ohttp-decrypt' : 'ohttp-malformed', 'Encapsulated request not opened', {
          detail,
          field: 'body',
        }),
      );
    }
    // One X25519 agreement on the main thread per relayed request; the report envelope inside is opened on the
    // inspection threads like any upload.
    const { opened } = result;
    const inner = await answerInner(opened.request, deps);
    const response = await new BHttpEncoder().encodeResponse(inner);
    return c.body(opened.respond(response) as Uint8Array<ArrayBuffer>, 200, {
      'content-type': OHTTP_RESPONSE_TYPE,
      'cache-control': 'private, no-store',
    });
  });
}

/** Decodes the inner request and answers it; a request that is not an upload is answered, encapsulated, with a problem. */
async function answerInner(bytes: Buffer, deps: GatewayDeps): Promise<Response> {
  const refuse = (p: Problem) => {
    deps.log.info({ status: p.status, problem: p.type }, 'relayed request rejected');
    return new Response(JSON.stringify(p), { status: p.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE } });
  };
  let request: Request;
  try {
    request = new BHttpDecoder().decodeRequest(bytes);
  } catch {
    return refuse(problem(400, 'ohttp-malformed', 'The encapsulated request is not binary HTTP (RFC 9292)'));
  }
  // The device names the collector as it knows it, which may be behind a path prefix (a reverse proxy's /c/):
  // the route is recognised by its end. Either way it is answered by this collector's own route, never fetched.
  const path = new URL(request.url).pathname;
  const is = (route: string) => path.endsWith(route);
  // The report keys: a device sending through a relay fetches them through it too, so no request of its
  // reaches the collector directly around the time it uploads.
  if (request.method === 'GET' && is(PATHS.keys)) {
    return copyAnswer(await deps.forward(new Request(`http://collector${PATHS.keys}`)));
  }
  if (request.method !== 'POST' || !is(PATHS.reports)) {
    return refuse(
      problem(404, 'not-found', 'Through the gateway only uploads and their keys are served', {
        detail: `POST ${PATHS.reports} or GET ${PATHS.keys}`,
        field: 'path',
      }),
    );
  }
  // Only the content type goes on: whatever else the client wrote into its inner request (a forwarded-for, a
  // user agent) is dropped here, so the upload route sees exactly what a direct upload shows.
  const contentType = request.headers.get('content-type') ?? SEALED_CONTENT_TYPE;
  const body = new Uint8Array(await request.arrayBuffer());
  return copyAnswer(
    await deps.forward(
      new Request(`http://collector${PATHS.reports}`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': String(body.length) },
        body,
      }),
    ),
  );
}

/** The collector's answer with only the headers that describe it, to be encapsulated back to the device. */
async function copyAnswer(answer: Response): Promise<Response> {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(await answer.arrayBuffer(), { status: answer.status, headers });
}
