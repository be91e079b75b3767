import { PATHS, PROBLEM_UNKNOWN_KEY, type Report, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { BatchCheck } from '../check/batch.js';
import type { DedupeWindow } from '../dedupe/window.js';
import type { PiiFirewall } from '../firewall/firewall.js';
import { problem, problemResponse } from '../http/problem.js';
import type { KeyRing } from '../keys/keyring.js';
import type { IngestLimits } from '../limits/limits.js';
import type { RateLimiter } from '../limits/rate.js';
import { openEnvelope } from '../open/envelope.js';
import type { ReportSink } from '../store/types.js';

export interface IngestDeps {
  keys: KeyRing;
  check: (parsed: unknown) => BatchCheck;
  firewall: PiiFirewall;
  dedupe: DedupeWindow;
  sink: ReportSink;
  limits: IngestLimits;
  rate: RateLimiter | null;
  log: Logger;
}

export interface IngestStats {
  accepted: number;
  duplicates: number;
  rejected: Record<number, number>;
}

/**
 * POST /v1/reports: where a report is received. Steps, cheapest first: content type, rate limit, body size
 * (middleware), open (HPKE), decompress (capped), parse, PII firewall, schema + registry check, dedupe, sink.
 * Rejections are problem+json naming the metric and field; a rejected upload leaves nothing behind, and logs
 * carry only the problem type, metric and field: never a value, an address or a user agent.
 */
export function createIngestHandler(deps: IngestDeps, stats: IngestStats) {
  const reject = (c: Context, p: ReturnType<typeof problem>, headers?: Record<string, string>) => {
    stats.rejected[p.status] = (stats.rejected[p.status] ?? 0) + 1;
    deps.log.info(
      { status: p.status, problem: p.type, metric: p.metric, field: p.field, detector: p.detector },
      'upload rejected',
    );
    return problemResponse(c, p, headers);
  };

  return async (c: Context): Promise<Response> => {
    const contentType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== SEALED_CONTENT_TYPE) {
      return reject(
        c,
        problem(415, 'unsupported-media-type', 'Uploads must be sealed', {
          detail: `send an HPKE envelope as ${SEALED_CONTENT_TYPE}`,
          field: 'content-type',
        }),
      );
    }
    if (deps.rate) {
      // The address is used only here, hashed with a salt that exists only in memory; it is never stored or logged.
      const wait = deps.rate.take(getConnInfo(c).remote.address ?? '');
      if (wait > 0) {
        return reject(c, problem(429, 'rate-limited', 'Too many uploads', { detail: `retry in ${wait} s` }), {
          'retry-after': String(wait),
        });
      }
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.length > deps.limits.maxBodyBytes) {
      return reject(
        c,
        problem(413, 'too-large', 'Upload too large', { detail: `at most ${deps.limits.maxBodyBytes} bytes` }),
      );
    }

    let opened = openEnvelope(body, (id) => deps.keys.recipientFor(id), deps.limits.maxPlaintextBytes);
    if (!opened.ok && opened.failure.reason === 'unknown-key') {
      // The key may have been rotated by another process since the last read.
      await deps.keys.refreshIfStale();
      opened = openEnvelope(body, (id) => deps.keys.recipientFor(id), deps.limits.maxPlaintextBytes);
    }
    if (!opened.ok) {
      const f = opened.failure;
      switch (f.reason) {
        case 'unknown-key':
          return reject(
            c,
            problem(400, PROBLEM_UNKNOWN_KEY, 'Unknown or retired key id', {
              detail: `key id ${f.keyId} is not accepted; fetch ${PATHS.keys} again and seal to its first key`,
              field: 'key_id',
              keys: PATHS.keys,
            }),
          );
        case 'too-large':
          return reject(c, problem(413, 'too-large', 'Upload too large once decompressed', { detail: f.detail }));
        case 'unsupported-suite':
          return reject(
            c,
            problem(400, 'unsupported-suite', 'Unsupported HPKE suite', { detail: f.detail, field: 'header' }),
          );
        case 'decrypt-failed':
          return reject(
            c,
            problem(400, 'undecryptable', 'The envelope does not open', { detail: f.detail, field: 'ciphertext' }),
          );
        case 'malformed':
          return reject(c, problem(400, 'malformed', 'Malformed envelope', { detail: f.detail, field: 'body' }));
      }
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(opened.plaintext.toString('utf8'));
    } catch {
      return reject(c, problem(400, 'malformed', 'The opened upload is not JSON', { field: 'body' }));
    }
    const reports = (parsed as { reports?: unknown } | null)?.reports;
    if (Array.isArray(reports) && reports.length > deps.limits.maxReportsPerBatch) {
      return reject(
        c,
        problem(413, 'too-many-reports', 'Too many reports in one upload', {
          detail: `at most ${deps.limits.maxReportsPerBatch} reports per upload`,
          metric: '(batch)',
          field: 'reports',
        }),
      );
    }

    const hit = deps.firewall.scan(parsed);
    if (hit) {
      return reject(
        c,
        problem(422, 'personal-data', 'The upload carries personal data', {
          detail: `${hit.metric}${hit.field ? ` ${hit.field}` : ''}: looks like ${hit.detector}; nothing of this upload was kept`,
          metric: hit.metric,
          field: hit.field,
          detector: hit.detector,
        }),
      );
    }

    const checked = deps.check(parsed);
    if (!checked.ok) return reject(c, checked.problem);

    const { fresh, duplicates } = deps.dedupe.claim(checked.batch.reports.map((r) => r.id));
    const toStore: Report[] = checked.batch.reports.filter((r) => fresh.has(r.id));
    if (toStore.length) {
      try {
        await deps.sink.accept(toStore);
      } catch (error) {
        deps.dedupe.release(fresh);
        deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'sink failed');
        return reject(
          c,
          problem(503, 'unavailable', 'Storage is unavailable; retry later', { detail: 'nothing was stored' }),
          {
            'retry-after': '30',
          },
        );
      }
    }
    stats.accepted += toStore.length;
    stats.duplicates += duplicates;
    return c.json({ accepted: toStore.length, duplicates }, 202);
  };
}
