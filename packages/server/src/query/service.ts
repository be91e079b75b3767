import { closedDomain, keyDimension, type QueryResult, type Registry } from '@candor/protocol';
import { type Problem, problem } from '../problem.js';
import type { Releaser } from '../release/releaser.js';
import type { ReportStore } from '../store/types.js';
import { answerCells, CONFIDENCE, confidenceInterval } from './answer.js';
import { parseQuery, type QueryParams } from './params.js';

export interface QueryServiceOptions {
  registry: Registry;
  store: ReportStore;
  releaser: Releaser;
}

export type { QueryParams };

/**
 * Serves queries from stored releases only. Before answering it lets the releaser release any day that closed;
 * then it reads the released days of the range and sums them. Nothing here sees a raw row, adds noise or spends
 * budget: asking again, asking overlapping ranges or asking before and after an upload can only return figures
 * already published.
 */
export class QueryService {
  constructor(private readonly options: QueryServiceOptions) {}

  async query(params: QueryParams): Promise<{ ok: true; result: QueryResult } | { ok: false; problem: Problem }> {
    const { registry, store, releaser } = this.options;
    const plan = releaser.plan;
    // A day that cannot be released yet (a Prio3 helper down) waits; answers come from what is released.
    await releaser.catchUp().catch(() => []);
    const releasedThrough = releaser.closedThrough();
    const parsed = parseQuery(params, plan, registry.version, releasedThrough);
    if (!parsed.ok) return parsed;
    const { metric, def, by, from, to } = parsed.query;

    // A grouping is read from its own release; a day total of a closed-key metric from its key release.
    let grouping = plan.find(metric, by);
    let derivedDay = false;
    const key = keyDimension(def.type);
    if (!grouping && by === 'day' && key && closedDomain(def, key)) {
      grouping = plan.find(metric, key);
      derivedDay = !!grouping;
    }
    if (!grouping) {
      const released = plan.releases.filter((r) => r.metric === metric).map((r) => r.by);
      return {
        ok: false,
        problem: problem(400, 'invalid-query', 'Not released by this dimension', {
          metric,
          field: 'by',
          detail: `${metric} is released by ${released.join(', ')} only (registry release.by)`,
        }),
      };
    }
    const end = to < releasedThrough ? to : releasedThrough;
    const days = from <= end ? await store.released({ app: registry.app, metric, by: grouping.by, from, to: end }) : [];
    const { cells, total, totalVariance } = answerCells(def, by, days, derivedDay);
    const groupingEpsilon = Math.max(0, ...days.map((d) => d.grouping.epsilon));
    const threshold =
      days.length && !grouping.domain && grouping.by !== 'day'
        ? Math.max(...days.map((d) => d.grouping.threshold))
        : null;
    return {
      ok: true,
      result: {
        metric,
        type: def.type,
        ...(def.unit ? { unit: def.unit } : {}),
        by,
        from,
        to,
        releasedThrough,
        days: days.length,
        totalReports: total,
        ...(total !== null ? { totalReportsInterval: confidenceInterval(total, totalVariance) } : {}),
        privacy: {
          epsilon: plan.budget.epsilon,
          delta: plan.budget.delta,
          groupingEpsilon: groupingEpsilon || grouping.epsilon,
          threshold,
          confidence: CONFIDENCE,
        },
        localDp: !!def.ldp && by === 'value',
        cells,
      },
    };
  }
}
