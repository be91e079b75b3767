import type { Registry } from '@candor/protocol';
import { createBatchChecker } from '../check/batch.js';
import { PiiFirewall } from '../firewall/firewall.js';
import { DEFAULT_LIMITS } from '../limits/limits.js';
import type { Problem } from '../problem.js';

/** What the collector answers an opened upload: accepted, or the problem it is refused with. */
export type Verdict =
  | { status: 202; accepted: number }
  | { status: number; type: string; metric: string; field: string; detector?: string };

export interface VerdictOptions {
  registry: Registry;
  /** The collector's clock, for the accepted-day window. */
  now?: () => number;
}

/**
 * The collector's checks on an opened upload, in ingest's order (ingest/upload.ts): report count, personal-data
 * firewall, then schema, registry and bounds. The test vectors' verdicts and the conformance collector come from
 * here; server/test/protocol-vectors.test.ts also sends every vector to a running collector, so the two agree.
 */
export function createVerdictChecker(options: VerdictOptions): (parsed: unknown) => Verdict {
  const firewall = new PiiFirewall(options.registry);
  const check = createBatchChecker(options.registry, options.now ? { now: options.now } : {});
  const refuse = (p: Pick<Problem, 'status' | 'type'> & Partial<Problem>): Verdict => ({
    status: p.status,
    type: p.type,
    metric: p.metric ?? '(upload)',
    field: p.field ?? '',
    ...(p.detector ? { detector: p.detector } : {}),
  });
  return (parsed) => {
    const reports = (parsed as { reports?: unknown } | null)?.reports;
    if (Array.isArray(reports) && reports.length > DEFAULT_LIMITS.maxReportsPerBatch) {
      return {
        status: 413,
        type: 'https://candor.dev/problems/too-many-reports',
        metric: '(batch)',
        field: 'reports',
      };
    }
    const hit = firewall.scan(parsed);
    if (hit) {
      return refuse({
        status: 422,
        type: 'https://candor.dev/problems/personal-data',
        metric: hit.metric,
        field: hit.field,
        detector: hit.detector,
      });
    }
    const checked = check(parsed);
    if (!checked.ok) return refuse(checked.problem);
    return { status: 202, accepted: checked.batch.reports.length };
  };
}
