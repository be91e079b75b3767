import {
  createReportChecker,
  createShapeCheck,
  describeIssue,
  type Prio3Value,
  type Registry,
  type Report,
  type ReportBatch,
  ReportBatchSchema,
  type ReportCheckerOptions,
} from '@candor/protocol';
import { prio3ValueProblem } from '../prio3/check.js';
import { type Problem, problem } from '../problem.js';
import { findStructureProblem } from './structure.js';

export type BatchCheck = { ok: true; batch: ReportBatch } | { ok: false; problem: Problem };

/** Names the field an issue points at inside its report: ["reports", 2, "system", "os"] -> "system.os". */
function locate(issue: { path: PropertyKey[]; code: string; message: string }) {
  const path = issue.path;
  const inReport = path[0] === 'reports' && typeof path[1] === 'number';
  const described = describeIssue({ ...issue, path: inReport ? path.slice(2) : path });
  return { metric: '(report)', ...described };
}

/** A problem for input whose structure no report has: nested too deep, or a `__proto__` key. */
export function structureProblem(found: NonNullable<ReturnType<typeof findStructureProblem>>): Problem {
  return found.problem === 'too-deep'
    ? problem(422, 'too-deep', 'The upload nests deeper than any report', {
        detail: 'no report nests this deep',
        metric: '(batch)',
        field: found.path,
      })
    : problem(422, 'invalid-report', 'A report does not match the report schema', {
        detail: '"__proto__" is not a name of anything in a report',
        metric: '(batch)',
        field: found.path,
      });
}

export interface BatchCheckOptions {
  /** The caller already ran findStructureProblem (or a cheaper equivalent) on this input. */
  structureChecked?: boolean;
  /** The caller already ran the shape check (registry/check.ts `createShapeGate`): its verdict. */
  shaped?: boolean;
}

/**
 * Validates an opened batch: its structure (depth, no `__proto__` keys), its shape against protocol's
 * ReportBatchSchema, then every report against the registry: the day window, value shapes and contribution
 * bounds. Any invalid report rejects the whole upload, so an upload is stored entirely or not at all. Both
 * stores' writers call this, so nothing reaches either without it.
 */
export function createBatchChecker(
  registry: Registry,
  options: ReportCheckerOptions = {},
): (parsed: unknown, check?: BatchCheckOptions) => BatchCheck {
  const checkReport = createReportChecker(registry, options);
  const shaped = createShapeCheck(registry);
  return (parsed, check = {}) => {
    if (!check.structureChecked) {
      const found = findStructureProblem(parsed);
      if (found) return { ok: false, problem: structureProblem(found) };
    }
    // The hand-written shape check passes honest batches without zod's copy; anything it refuses goes to zod,
    // whose issues name what is wrong.
    if (check.shaped ?? shaped(parsed)) return checkReports(parsed as ReportBatch, true);
    const result = ReportBatchSchema.safeParse(parsed);
    if (!result.success) {
      const errors = result.error.issues.slice(0, 20).map(locate);
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
    return checkReports(result.data, false);
  };

  function checkReports(batch: ReportBatch, shapesChecked: boolean): BatchCheck {
    for (const report of batch.reports as Report[]) {
      const issues = checkReport(report, shapesChecked);
      if (!issues.length) {
        // Keys, not entries: a pair array per metric of every report was a good part of what checking allocated.
        const metrics = report.metrics;
        for (const metric of Object.keys(metrics)) {
          const def = registry.metrics[metric];
          const wrong = def?.prio3 ? prio3ValueProblem(def, metrics[metric] as Prio3Value) : null;
          if (wrong) issues.push({ metric, ...wrong });
        }
      }
      if (issues.length) {
        const first = issues[0] as (typeof issues)[number];
        return {
          ok: false,
          problem: problem(422, 'invalid-value', 'A value does not match the registry', {
            detail: `${first.metric}${first.field ? ` ${first.field}` : ''}: ${first.message}`,
            metric: first.metric,
            field: first.field,
            errors: issues.slice(0, 20),
          }),
        };
      }
    }
    return { ok: true, batch };
  }
}
