import { type Registry, type Report, SEALED_CONTENT_TYPE } from '@candor/protocol';
import type { Logger } from 'pino';
import type { DedupeWindow } from '../dedupe/window.js';
import type { PiiFirewall } from '../firewall/firewall.js';
import type { IngestLimits } from '../limits/limits.js';
import type { RateLimiter } from '../limits/rate.js';
import { PROBLEM_CONTENT_TYPE, type Problem, problem } from '../problem.js';
import type { DedupeKey, ReportSink } from '../store/types.js';
import type { Inspection } from './inspect.js';

export interface IngestDeps {
  registry: Registry;
  /** Opens, parses, firewalls and checks a sealed body (ingest/inspect.ts), here or in the worker pool. */
  inspect: (body: Uint8Array) => Promise<Inspection>;
  /** Counts firewall hits for /v1/privacy (the inspection itself may run in another thread). */
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
  /**
   * Milliseconds summed over uploads per step. `inspect` is wall time on the main thread waiting for an
   * inspection (open + parse + firewall + check, plus the hop to a worker); `store` waits for a durable write.
   */
  stageMs: {
    inspect: number;
    open: number;
    parse: number;
    firewall: number;
    check: number;
    prepare: number;
    store: number;
  };
}

export function emptyIngestStats(): IngestStats {
  return {
    accepted: 0,
    duplicates: 0,
    rejected: {},
    stageMs: { inspect: 0, open: 0, parse: 0, firewall: 0, check: 0, prepare: 0, store: 0 },
  };
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
 * Where a report is received. Steps, cheapest first: content type, rate limit, body size, then the inspection
 * (ingest/inspect.ts: open, decompress within a cap, parse, PII firewall and depth, schema, day window and bounds),
 * dedupe, sink. Rejections are problem+json naming the metric and field; a rejected upload leaves nothing
 * behind, and logs carry only the problem type, a registry metric name and the detector: never anything the
 * client chose (a value, a key, an unknown metric name), an address or a user agent.
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

  /**
   * Hands the fresh reports to the sink. Rows the inspection summed over the whole upload go straight to a sink
   * that takes rows. When some of the upload's reports are duplicates (rare: a device resends a batch whole), the
   * sums cannot be split, so the fresh reports go to the sink as reports, inspected again (`recheck`) if they were
   * left in another thread. A second inspection that disagrees stores nothing (503, retried).
   */
  const store = async (
    inspection: Extract<Inspection, { ok: true }>,
    fresh: readonly { index: number }[],
    uploaded: number,
    keys: DedupeKey[],
  ): Promise<void> => {
    const rows = inspection.prepared.rows;
    if (rows && deps.sink.acceptRows && fresh.length === uploaded) {
      return deps.sink.acceptRows(rows, keys);
    }
    let reports = inspection.reports;
    if (reports.length !== uploaded) {
      const again = await inspection.recheck?.();
      if (!again?.ok || again.reports.length !== uploaded) throw new Error('the upload did not inspect the same twice');
      reports = again.reports;
    }
    return deps.sink.accept(
      fresh.map((f) => reports[f.index] as Report),
      keys,
    );
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

    let t = performance.now();
    const inspection = await deps.inspect(body);
    const stage = stats.stageMs;
    stage.inspect += performance.now() - t;
    stage.open += inspection.times.open;
    stage.parse += inspection.times.parse;
    stage.firewall += inspection.times.firewall;
    stage.check += inspection.times.check;
    stage.prepare += inspection.times.prepare;
    if (!inspection.ok) {
      if (inspection.firewallHits) deps.firewall.count(inspection.firewallHits);
      return reject(inspection.problem);
    }

    const reportKeys = inspection.prepared.keys;
    const { fresh, duplicates } = deps.dedupe.claim(reportKeys);
    // One report per fresh id: a second copy in the same upload is a duplicate, not a second report.
    const keys = fresh.map((f) => f.key);
    // A duplicate of a report a concurrent upload is still storing is acknowledged only once that store is
    // durable; if it fails, this upload must be retried rather than answered 2xx.
    const earlierStored = duplicates.length > 0 ? deps.dedupe.whenStored(duplicates) : true;
    const unavailable = () =>
      reject(problem(503, 'unavailable', 'Storage is unavailable; retry later', { detail: 'nothing was stored' }), {
        'retry-after': '30',
      });
    if (fresh.length) {
      t = performance.now();
      const storing = store(inspection, fresh, reportKeys.length, keys);
      deps.dedupe.trackStoring(keys, storing);
      try {
        await storing;
      } catch (error) {
        deps.dedupe.release(keys);
        // The error's class only: a database message can quote the values it choked on.
        deps.log.error({ err: error instanceof Error ? error.name : typeof error }, 'sink failed');
        return unavailable();
      }
      stage.store += performance.now() - t;
    }
    if (!(await earlierStored)) return unavailable();
    stats.accepted += fresh.length;
    stats.duplicates += duplicates.length;
    return {
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accepted: fresh.length, duplicates: duplicates.length }),
    };
  };
}
