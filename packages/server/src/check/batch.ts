import { createReportChecker, type Registry, type Report, type ReportBatch, ReportBatchSchema } from '@candor/protocol';
import { type Problem, problem } from '../problem.js';

export type BatchCheck = { ok: true; batch: ReportBatch } | { ok: false; problem: Problem };

/** Names the metric and field an issue path points at: ["reports", 2, "metrics", "page_load.count", ...]. */
function locate(path: readonly PropertyKey[]): { metric: string; field: string } {
  const rest = path[0] === 'reports' && typeof path[1] === 'number' ? path.slice(2) : path;
  if (rest[0] === 'metrics' && rest.length > 1) return { metric: String(rest[1]), field: rest.slice(2).join('.') };
  return { metric: '(report)', field: rest.join('.') };
}

/**
 * Validates an opened batch: its shape against protocol's ReportBatchSchema, then every metric value against the
 * registry. Any invalid report rejects the whole upload, so an upload is stored entirely or not at all.
 */
export function createBatchChecker(registry: Registry): (parsed: unknown) => BatchCheck {
  const checkReport = createReportChecker(registry);
  return (parsed) => {
    const result = ReportBatchSchema.safeParse(parsed);
    if (!result.success) {
      const errors = result.error.issues.slice(0, 20).map((i) => ({ ...locate(i.path), message: i.message }));
      const first = errors[0] ?? { metric: '(batch)', field: '', message: 'invalid batch' };
      return {
        ok: false,
        problem: problem(422, 'invalid-report', 'A report does not match the report schema', {
          detail: `${first.metric}${first.field ? ` ${first.field}` : ''}: ${first.message}`,
          metric: first.metric,
          field: first.field,
          errors,
        }),
      };
    }
    for (const report of result.data.reports as Report[]) {
      const issues = checkReport(report);
      if (issues.length) {
        const first = issues[0] as (typeof issues)[number];
        return {
          ok: false,
          problem: problem(422, 'invalid-value', 'A metric value does not match the registry', {
            detail: `${first.metric}${first.field ? ` ${first.field}` : ''}: ${first.message}`,
            metric: first.metric,
            field: first.field,
            errors: issues.slice(0, 20),
          }),
        };
      }
    }
    return { ok: true, batch: result.data };
  };
}
