import {
  DIMENSIONS,
  type Dimension,
  estimateFromRandomized,
  MAX_CRASH_SIGNATURES_PER_METRIC,
  MAX_SITES_PER_METRIC,
  type MetricDefinition,
  percentileFromBuckets,
  type QueryCell,
  type QueryResult,
  type Registry,
} from '@candor/protocol';
import { type Problem, problem } from '../problem.js';
import { DAILY_ACTIVITY_METRIC } from '../store/rows.js';
import type { AggregateRow, ReportStore } from '../store/types.js';
import type { BudgetLedger } from './ledger.js';
import { laplace } from './noise.js';

export interface QueryServiceOptions {
  registry: Registry;
  store: ReportStore;
  /** Minimum reports behind any released cell. */
  k: number;
  /** Central differential privacy: epsilon spent per query, against the ledger's per-metric daily budget. */
  dp?: { epsilon: number; ledger: BudgetLedger };
  now?: () => Date;
}

export interface QueryParams {
  metric?: string;
  by?: string;
  from?: string;
  to?: string;
}

/** Dimensions whose values come from the data rather than the registry: their suppressed cells are merged
 * into one unnamed cell, so not even the existence of a rare model family or site is revealed. */
const OPEN_DIMENSIONS: ReadonlySet<Dimension> = new Set([
  'site',
  'signature',
  'modelFamily',
  'language',
  'appVersion',
  'osMajor',
  'osVersion',
]);
export const SUPPRESSED_KEY = '(other)';
const KEY_DIMENSIONS: ReadonlySet<Dimension> = new Set(['label', 'value', 'site', 'signature']);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RANGE_DAYS = 366;

/** Which key dimension fits which metric type. */
function keyDimensionAllowed(by: Dimension, type: MetricDefinition['type']): boolean {
  switch (by) {
    case 'label':
      return type === 'labeled_counter' || type === 'event';
    case 'value':
      return type === 'boolean' || type === 'enumeration' || type === 'event';
    case 'site':
      return type === 'site';
    case 'signature':
      return type === 'crash';
    default:
      return true;
  }
}

/** How many cells one report can touch at most, i.e. the L1 sensitivity of the per-cell report counts. */
function cellsPerReport(def: MetricDefinition, by: Dimension): number {
  if (!KEY_DIMENSIONS.has(by)) return 1;
  switch (def.type) {
    case 'labeled_counter':
      return def.labels?.length ?? 1;
    case 'site':
      return MAX_SITES_PER_METRIC;
    case 'crash':
      return MAX_CRASH_SIGNATURES_PER_METRIC;
    case 'event':
      return Object.values(def.extras ?? {}).reduce(
        (n, e) => n * (e.type === 'boolean' ? 3 : e.type === 'enumeration' ? e.values.length + 1 : 2),
        1,
      );
    default:
      return 1;
  }
}

export interface QueryStats {
  /** Cells withheld by the k-threshold since start. */
  suppressedCells: number;
}

/**
 * The privacy-safe query layer. Everything the dashboard or any client learns passes through here:
 *   1. the store aggregates per cell (never returns single reports: it holds none);
 *   2. cells from fewer than k reports are suppressed (open-vocabulary ones merged into one unnamed cell);
 *   3. local-DP metrics are de-biased with the protocol's estimator;
 *   4. with central DP on, Laplace noise is added and the metric's daily budget is charged; answers are cached
 *      for the day, so asking again neither spends budget nor averages the noise away.
 */
export class QueryService {
  readonly stats: QueryStats = { suppressedCells: 0 };
  private readonly cache = new Map<string, QueryResult>();
  private cacheDay = '';
  private readonly now: () => Date;

  constructor(private readonly options: QueryServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get k(): number {
    return this.options.k;
  }

  async query(
    params: QueryParams,
  ): Promise<{ ok: true; result: QueryResult } | { ok: false; problem: Problem; retryAfter?: number }> {
    const { registry, store, dp } = this.options;
    const metric = params.metric ?? '';
    const def: MetricDefinition | undefined =
      metric === DAILY_ACTIVITY_METRIC
        ? {
            type: 'counter',
            description: 'daily active installs',
            category: 'ui',
            owner: '',
            purpose: '',
            sensitivity: 'technical',
            expires: 'never',
            unit: 'count',
          }
        : // Own properties only: "__proto__" or "constructor" are unknown names, not Object's members.
          Object.hasOwn(registry.metrics, metric)
          ? registry.metrics[metric]
          : undefined;
    if (!def) {
      return {
        ok: false,
        problem: problem(400, 'unknown-metric', 'Unknown metric', {
          metric,
          field: 'metric',
          detail: `"${metric}" is not in registry ${registry.version}`,
        }),
      };
    }
    const by = (params.by ?? 'day') as Dimension;
    if (!DIMENSIONS.includes(by) || !keyDimensionAllowed(by, def.type)) {
      return {
        ok: false,
        problem: problem(400, 'invalid-query', 'Unsupported dimension', {
          metric,
          field: 'by',
          detail: `cannot group a ${def.type} by "${params.by}"`,
        }),
      };
    }
    const today = this.now().toISOString().slice(0, 10);
    const to = params.to ?? today;
    const from = params.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    for (const [field, day] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
        return {
          ok: false,
          problem: problem(400, 'invalid-query', 'Invalid day', {
            metric,
            field,
            detail: `${field} must be YYYY-MM-DD`,
          }),
        };
      }
    }
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
    if (days < 1 || days > MAX_RANGE_DAYS) {
      return {
        ok: false,
        problem: problem(400, 'invalid-query', 'Invalid day range', {
          metric,
          field: 'from',
          detail: `from must not be after to, and the range at most ${MAX_RANGE_DAYS} days`,
        }),
      };
    }

    const cacheKey = `${metric}|${by}|${from}|${to}`;
    if (dp) {
      if (this.cacheDay !== today) {
        this.cache.clear();
        this.cacheDay = today;
      }
      const cached = this.cache.get(cacheKey);
      if (cached) return { ok: true, result: cached };
      if (!(await dp.ledger.trySpend(metric, dp.epsilon))) {
        return {
          ok: false,
          retryAfter: dp.ledger.secondsUntilRenewal(),
          problem: problem(429, 'privacy-budget-spent', 'Privacy budget for this metric is spent for today', {
            metric,
            field: 'metric',
            detail: `spent ${dp.ledger.spentToday(metric)} of ${dp.ledger.budgetPerDay} epsilon today; renews at 00:00 UTC`,
          }),
        };
      }
    }

    const rows = await store.aggregate({ app: registry.app, metric, type: def.type, by, from, to });
    const result = this.release(metric, def, by, from, to, rows);
    if (dp) this.cache.set(cacheKey, result);
    return { ok: true, result };
  }

  private release(
    metric: string,
    def: MetricDefinition,
    by: Dimension,
    from: string,
    to: string,
    rows: AggregateRow[],
  ): QueryResult {
    const { k, dp } = this.options;
    const epsilon = dp?.epsilon;
    // Half the query's epsilon protects report counts, half the values (split between sums and histograms).
    const noisyCount = (n: number, sensitivity: number) => (epsilon ? n + laplace(sensitivity / (epsilon / 2)) : n);
    const noisyValue = (n: number, sensitivity: number) => (epsilon ? n + laplace(sensitivity / (epsilon / 4)) : n);
    const countSensitivity = cellsPerReport(def, by);
    const sumSensitivity = def.max ?? 1;

    const ldp =
      def.ldp && by === 'value' && (def.type === 'boolean' || def.type === 'enumeration') ? def.ldp : undefined;
    const domain = def.type === 'boolean' ? ['true', 'false'] : def.type === 'enumeration' ? (def.values ?? []) : [];
    if (ldp) {
      // Every value of the domain gets a cell: an absent one still has a de-biased estimate.
      for (const value of domain)
        if (!rows.some((r) => r.key === value)) rows.push({ key: value, reports: 0, value: 0, count: 0 });
    }

    // Each cell's report count is noised once; the total is derived from those (post-processing spends no
    // budget): a sum over disjoint cells, or for cells split by key the largest one (a report spans keys).
    rows.sort((a, b) => a.key.localeCompare(b.key));
    const counted = rows.map((row) => Math.round(noisyCount(row.reports, countSensitivity)));
    const multiKey =
      def.type === 'labeled_counter' || def.type === 'site' || def.type === 'crash' || def.type === 'event';
    const total =
      multiKey && KEY_DIMENSIONS.has(by) ? Math.max(0, ...counted) : counted.reduce((s, n) => s + Math.max(0, n), 0);

    const cells: QueryCell[] = [];
    let suppressedOpen = 0;
    for (const [index, row] of rows.entries()) {
      const reports = counted[index] ?? 0;
      if (reports < k) {
        this.stats.suppressedCells++;
        if (OPEN_DIMENSIONS.has(by)) suppressedOpen++;
        else cells.push({ key: row.key, suppressed: true });
        continue;
      }
      const cell: QueryCell = { key: row.key, suppressed: false, reports };
      switch (def.type) {
        case 'counter':
        case 'quantity':
        case 'labeled_counter':
        case 'crash':
        case 'event':
          cell.sum = Math.max(0, noisyValue(row.value, sumSensitivity));
          if (row.detail) cell.label = row.detail;
          break;
        case 'timing_distribution':
        case 'memory_distribution':
        case 'site': {
          const buckets = new Map<number, number>();
          for (const [i, n] of row.buckets ?? []) {
            const noisy = noisyValue(n, 1);
            if (noisy > 0) buckets.set(i, noisy);
          }
          cell.sum = Math.max(0, noisyValue(row.value, sumSensitivity));
          cell.count = Math.max(0, Math.round(noisyValue(row.count, 1)));
          for (const p of [50, 75, 95, 99] as const) {
            const value = percentileFromBuckets(buckets, p);
            if (value !== null) cell[`p${p}`] = Math.round(value * 10) / 10;
          }
          break;
        }
        case 'boolean':
        case 'enumeration':
          if (by === 'value' && total > 0) {
            if (ldp) {
              const estimate = estimateFromRandomized(reports, total, ldp.epsilon, domain.length);
              cell.share = estimate.share;
              cell.standardError = estimate.standardError;
            } else {
              cell.share = Math.min(1, reports / total);
            }
          }
          break;
      }
      cells.push(cell);
    }
    if (suppressedOpen > 0) cells.push({ key: SUPPRESSED_KEY, suppressed: true });

    return {
      metric,
      type: def.type,
      ...(def.unit ? { unit: def.unit } : {}),
      by,
      from,
      to,
      k,
      totalReports: total >= k ? total : null,
      dp: dp
        ? { epsilon: dp.epsilon, spentToday: dp.ledger.spentToday(metric), budgetPerDay: dp.ledger.budgetPerDay }
        : null,
      localDp: !!ldp,
      cells,
    };
  }
}
