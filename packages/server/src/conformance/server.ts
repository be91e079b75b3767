import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { candorBrowserRegistry, PATHS, type Registry, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { PiiFirewall } from '../firewall/firewall.js';
import { createInspector } from '../ingest/inspect.js';
import { DEFAULT_LIMITS } from '../limits/limits.js';
import { generateX25519KeyPair, HpkeRecipient } from '../open/hpke.js';
import { PROBLEM_CONTENT_TYPE, type Problem, problem } from '../problem.js';
import { createRegistryChecker } from '../registry/check.js';
import { RegistrySet } from '../registry/set.js';
import { inspectUpload } from './inspect.js';
import { ConformanceSession, type ConformanceSummary, type UploadRecord } from './session.js';
import { summaryMarkdown } from './summary.js';

export interface ConformanceOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The registries of the apps under test (default: candor's example browser registry). */
  registries?: Registry[];
  /** Seconds asked for in the retry test's 503. Default 2. */
  retryAfterSeconds?: number;
  /** How long past Retry-After a retry may come before it counts as missing. Default 60 s. */
  retryGraceMs?: number;
  /** The collector's clock for accepted days and retry timing. Default Date.now. */
  now?: () => number;
  /** Called after every upload with what was found. */
  onUpload?: (upload: UploadRecord) => void;
}

export interface ConformanceCollector {
  url: string;
  session: ConformanceSession;
  summary(): ConformanceSummary;
  close(): Promise<void>;
}

/** Paths of the summary, for a browser or a CI step. */
export const CONFORMANCE_PATHS = { summary: '/conformance/summary', markdown: '/conformance/summary.md' } as const;

/**
 * A collector for testing a client: it serves a fresh key at GET /v1/keys, inspects every POST /v1/reports
 * against docs/protocol.md, stores nothing, and answers as the real collector would, except that the first
 * readable upload is answered 503 with Retry-After to check the client's retries. Deviations are listed per
 * upload in the summary (JSON at /conformance/summary, Markdown at /conformance/summary.md).
 */
export async function startConformanceCollector(options: ConformanceOptions = {}): Promise<ConformanceCollector> {
  const registries = options.registries?.length ? options.registries : [candorBrowserRegistry];
  const set = new RegistrySet(registries);
  const now = options.now ?? Date.now;
  const retryAfterSeconds = options.retryAfterSeconds ?? 2;
  const keyId = 1 + Math.floor(Math.random() * 254);
  const { privateKey, publicKey } = generateX25519KeyPair();
  const recipient = new HpkeRecipient(privateKey);
  const session = new ConformanceSession({ retryAfterSeconds, retryGraceMs: options.retryGraceMs ?? 60_000, now });
  const context = {
    keyId,
    now,
    recipient,
    firewall: new PiiFirewall(set.vocabulary()),
    check: createRegistryChecker(set, { now }),
  };
  // The real collector's inspection decides what each upload is answered, so a client sees what it would see.
  const collectorInspect = createInspector({
    registries,
    keys: { recipientFor: (id) => (id === keyId ? recipient : undefined), refreshIfStale: async () => {} },
    limits: DEFAULT_LIMITS,
    // Only the verdict is used: nothing is stored or de-duplicated.
    dedupeSecret: new Uint8Array(32),
    flatten: false,
    now,
  });

  const app = new Hono();
  app.get(PATHS.keys, (c) => {
    session.keyFetches++;
    return c.json(
      { keys: [{ id: keyId, kem: 0x0020, kdf: 0x0001, aead: 0x0001, publicKey: publicKey.toString('base64url') }] },
      200,
      { 'cache-control': 'no-store' },
    );
  });
  app.post(PATHS.reports, async (c) => {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > DEFAULT_LIMITS.maxBodyBytes) {
      return c.body(JSON.stringify(problem(413, 'too-large', 'Upload too large')), 413, {
        'content-type': PROBLEM_CONTENT_TYPE,
      });
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const inspected = inspectUpload(c.req.raw.headers, body, context);
    const contentType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    const answer: Problem | null =
      contentType !== SEALED_CONTENT_TYPE
        ? problem(415, 'unsupported-media-type', 'Uploads must be sealed', { field: 'content-type' })
        : await collectorInspect(body).then((inspection) => (inspection.ok ? null : inspection.problem));
    const { retryTest } = session.record(inspected, body, answer?.status ?? 202);
    options.onUpload?.(session.summary().uploads.at(-1) as UploadRecord);
    if (retryTest) {
      return c.body(
        JSON.stringify(
          problem(503, 'unavailable', 'Storage is unavailable; retry later', { detail: 'conformance retry test' }),
        ),
        503,
        { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': String(retryAfterSeconds) },
      );
    }
    if (answer === null) return c.json({ accepted: inspected.reports.length, duplicates: 0 }, 202);
    return c.body(JSON.stringify(answer), answer.status as 400, { 'content-type': PROBLEM_CONTENT_TYPE });
  });
  app.get(CONFORMANCE_PATHS.summary, (c) => c.json(session.summary(), 200, { 'cache-control': 'no-store' }));
  app.get(CONFORMANCE_PATHS.markdown, (c) =>
    c.body(summaryMarkdown(session.summary()), 200, { 'content-type': 'text/markdown; charset=utf-8' }),
  );

  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    session,
    summary: () => session.summary(),
    // Graceful: the run completes while the last upload is being answered, and that answer must still arrive.
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      }),
  };
}
