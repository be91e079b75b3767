import { PATHS, PROBLEM_UNKNOWN_KEY, type Registry, type Report, SEALED_CONTENT_TYPE } from '@candor/protocol';
import type { Logger } from 'pino';
import { type BatchCheck, type BatchCheckOptions, structureProblem } from '../check/batch.js';
import { findStructureProblem, MAX_JSON_DEPTH, mayHoldForbiddenKey, nestsDeeperThan } from '../check/structure.js';
import type { DedupeWindow } from '../dedupe/window.js';
import type { PiiFirewall } from '../firewall/firewall.js';
import type { KeyRing } from '../keys/keyring.js';
import type { IngestLimits } from '../limits/limits.js';
import type { RateLimiter } from '../limits/rate.js';
import { openEnvelope } from '../open/envelope.js';
import { PROBLEM_CONTENT_TYPE, type Problem, problem } from '../problem.js';
import type { ReportSink } from '../store/types.js';

export interface IngestDeps {
  registry: Registry;
  keys: KeyRing;
  check: (parsed: unknown, options?: BatchCheckOptions) => BatchCheck;
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

/** One upload as the HTTP layer hands it over. */
export interface Upload {
  contentType: string | undefined;
  /** The socket's peer address: used only for the in-memory rate limit, never stored or logged. */
  address: string;
  /** Reads the body, or reports that it exceeds `maxBodyBytes` without reading the rest. */
  readBody: () => Promise<Uint8Array | 'too-large'>;
}

export interface IngestAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Where a report is received. Steps, cheapest first: content type, rate limit, body size, open (HPKE),
 * decompress (capped), parse, PII firewall, schema + registry check, dedupe, sink. Rejections are problem+json
 * naming the metric and field; a rejected upload leaves nothing behind, and logs carry only the problem type, a
 * registry metric name and the detector: never anything the client chose (a value, a key, an unknown metric
 * name), an address or a user agent.
 */
export function createUploadProcessor(deps: IngestDeps, stats: IngestStats): (upload: Upload) => Promise<IngestAnswer> {
  const reject = (p: Problem, headers: Record<string, string> = {}): IngestAnswer => {
    // Problems about the upload as a whole (type, size, rate, envelope) name "(upload)" as their metric.
    p.metric ??= '(upload)';
    p.field ??= '';
    stats.rejected[p.status] = (stats.rejected[p.status] ?? 0) + 1;
    const metric = Object.hasOwn(deps.registry.metrics, p.metric) ? p.metric : undefined;
    deps.log.info({ status: p.status, problem: p.type, metric, detector: p.detector }, 'upload rejected');
    return { status: p.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers }, body: JSON.stringify(p) };
  };

  return async (upload) => {
    const contentType = upload.contentType?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== SEALED_CONTENT_TYPE) {
      return reject(
        problem(415, 'unsupported-media-type', 'Uploads must be sealed', {
          detail: `send an HPKE envelope as ${SEALED_CONTENT_TYPE}`,
          field: 'content-type',
        }),
      );
    }
    if (deps.rate) {
      const wait = deps.rate.take(upload.address);
      if (wait > 0) {
        return reject(problem(429, 'rate-limited', 'Too many uploads', { detail: `retry in ${wait} s` }), {
          'retry-after': String(wait),
        });
      }
    }
    const body = await upload.readBody();
    if (body === 'too-large') {
      return reject(
        problem(413, 'too-large', 'Upload too large', {
          detail: `at most ${deps.limits.maxBodyBytes} bytes`,
          field: 'body',
        }),
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
            problem(400, PROBLEM_UNKNOWN_KEY, 'Unknown or retired key id', {
              detail: `key id ${f.keyId} is not accepted; fetch ${PATHS.keys} again and seal to its first key`,
              field: 'key_id',
              keys: PATHS.keys,
            }),
          );
        case 'too-large':
          return reject(
            problem(413, 'too-large', 'Upload too large once decompressed', { detail: f.detail, field: 'body' }),
          );
        case 'unsupported-suite':
          return reject(
            problem(400, 'unsupported-suite', 'Unsupported HPKE suite', { detail: f.detail, field: 'header' }),
          );
        case 'decrypt-failed':
          return reject(
            problem(400, 'undecryptable', 'The envelope does not open', { detail: f.detail, field: 'ciphertext' }),
          );
        case 'malformed':
          return reject(problem(400, 'malformed', 'Malformed envelope', { detail: f.detail, field: 'body' }));
      }
    }

    // Depth is checked on the text, before parsing, so no later walk can be made to recurse without bound.
    if (nestsDeeperThan(opened.plaintext, MAX_JSON_DEPTH)) {
      return reject(structureProblem({ problem: 'too-deep', path: 'body' }));
    }
    const text = opened.plaintext.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return reject(problem(400, 'malformed', 'The opened upload is not JSON', { field: 'body' }));
    }
    if (mayHoldForbiddenKey(text)) {
      const found = findStructureProblem(parsed);
      if (found) return reject(structureProblem(found));
    }
    const reports = (parsed as { reports?: unknown } | null)?.reports;
    if (Array.isArray(reports) && reports.length > deps.limits.maxReportsPerBatch) {
      return reject(
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
        problem(422, 'personal-data', 'The upload carries personal data', {
          detail: `${hit.metric}${hit.field ? ` ${hit.field}` : ''}: looks like ${hit.detector}; nothing of this upload was kept`,
          metric: hit.metric,
          field: hit.field,
          detector: hit.detector,
        }),
      );
    }

    const checked = deps.check(parsed, { structureChecked: true });
    if (!checked.ok) return reject(checked.problem);

    const checkedReports = checked.batch.reports;
    const { fresh, duplicates } = deps.dedupe.claim(checkedReports);
    // One report per fresh id: a second copy in the same upload is a duplicate, not a second report.
    const toStore: Report[] = fresh.map((f) => checkedReports[f.index] as Report);
    const keys = fresh.map((f) => f.key);
    // A duplicate of a report a concurrent upload is still storing is acknowledged only once that store is
    // durable; if it fails, this upload must be retried rather than answered 2xx.
    const earlierStored = duplicates.length > 0 ? deps.dedupe.whenStored(duplicates) : true;
    const unavailable = () =>
      reject(problem(503, 'unavailable', 'Storage is unavailable; retry later', { detail: 'nothing was stored' }), {
        'retry-after': '30',
      });
    if (toStore.length) {
      const storing = deps.sink.accept(toStore, keys);
      deps.dedupe.trackStoring(keys, storing);
      try {
        await storing;
      } catch (error) {
        deps.dedupe.release(keys);
        // The error's class only: a database message can quote the values it choked on.
        deps.log.error({ err: error instanceof Error ? error.name : typeof error }, 'sink failed');
        return unavailable();
      }
    }
    if (!(await earlierStored)) return unavailable();
    stats.accepted += toStore.length;
    stats.duplicates += duplicates.length;
    return {
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accepted: toStore.length, duplicates: duplicates.length }),
    };
  };
}
