import { DIMENSIONS, type Dimension, dimensionsFor, type MetricDefinition, type ReleasePlan } from '@candor/protocol';
import { type Problem, problem } from '../problem.js';

export interface QueryParams {
  metric?: string;
  by?: string;
  from?: string;
  to?: string;
}

/** A checked query: a known metric, a grouping it is released by, and a valid day range. */
export interface ParsedQuery {
  metric: string;
  def: MetricDefinition;
  by: Dimension;
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** Checks query parameters against the release plan; the default range is the 30 days up to `lastDay`. */
export function parseQuery(
  params: QueryParams,
  plan: ReleasePlan,
  registryVersion: string,
  lastDay: string,
): { ok: true; query: ParsedQuery } | { ok: false; problem: Problem } {
  const metric = params.metric ?? '';
  const def = plan.definition(metric);
  if (!def) {
    return {
      ok: false,
      problem: problem(400, 'unknown-metric', 'Unknown metric', {
        metric,
        field: 'metric',
        detail: `"${metric}" is not in registry ${registryVersion}`,
      }),
    };
  }
  const by = (params.by ?? 'day') as Dimension;
  if (!DIMENSIONS.includes(by) || !dimensionsFor(def).includes(by)) {
    return {
      ok: false,
      problem: problem(400, 'invalid-query', 'Unsupported dimension', {
        metric,
        field: 'by',
        detail: `cannot group a ${def.type} by "${params.by}"`,
      }),
    };
  }
  const range = parseDayRange(params, lastDay, metric);
  if (!range.ok) return range;
  const { from, to } = range;
  return { ok: true, query: { metric, def, by, from, to } };
}

/** Checks a query's `from` and `to`; the default range is the 30 days up to `lastDay`. */
export function parseDayRange(
  params: { from?: string; to?: string },
  lastDay: string,
  metric?: string,
): { ok: true; from: string; to: string } | { ok: false; problem: Problem } {
  const named = metric === undefined ? {} : { metric };
  const to = params.to ?? lastDay;
  const from = params.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  for (const [field, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
      return {
        ok: false,
        problem: problem(400, 'invalid-query', 'Invalid day', {
          ...named,
          field,
          detail: `${field} must be YYYY-MM-DD`,
        }),
      };
    }
  }
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1 || days > MAX_RANGE_DAYS) {
    return {
      ok: false,
      problem: problem(400, 'invalid-query', 'Invalid day range', {
        ...named,
        field: 'from',
        detail: `from must not be after to, and the range at most ${MAX_RANGE_DAYS} days`,
      }),
    };
  }
  return { ok: true, from, to };
}
