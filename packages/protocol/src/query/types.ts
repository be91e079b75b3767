import type { Category, MetricType, Sensitivity } from '../registry/schema.js';

/**
 * The privacy-safe query API (GET /v1/query, bearer token). The dashboard and any other client read only this.
 *
 *   GET /v1/query?metric=NAME&by=DIMENSION&from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * Every released cell comes from at least k reports; smaller cells are returned with `suppressed: true` and no
 * values, never as zero.
 */
export const DIMENSIONS = [
  'day',
  'label',
  'value',
  'site',
  'signature',
  'modelFamily',
  'os',
  'osMajor',
  /** OS and its major version together ("android 14"), so each OS's versions can be shown on their own. */
  'osVersion',
  'language',
  'appVersion',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface QueryCell {
  /** The dimension value: a day, label, enumeration value, site, crash signature, model family, ... */
  key: string;
  suppressed: boolean;
  /** Reports contributing to this cell; absent when suppressed. */
  reports?: number;
  /** counter / labeled_counter / quantity / crash: sum of values. Distributions: sum of samples. */
  sum?: number;
  /** Distributions: number of samples. */
  count?: number;
  /** Distributions: percentiles in the metric's unit. */
  p50?: number;
  p75?: number;
  p95?: number;
  p99?: number;
  /** boolean / enumeration: estimated share of reports with this value (de-biased for local-DP metrics). */
  share?: number;
  /** Local-DP metrics: the standard error of `share`. */
  standardError?: number;
  /** crash cells: the error type. */
  label?: string;
}

export interface QueryResult {
  metric: string;
  type: MetricType;
  unit?: string;
  by: Dimension;
  from: string;
  to: string;
  /** The minimum number of reports behind any released cell. */
  k: number;
  /** Reports matching the query in total (suppressed cells included), or null if that itself is under k. */
  totalReports: number | null;
  /** Central differential privacy applied to this answer, if enabled. */
  dp: { epsilon: number; spentToday: number; budgetPerDay: number } | null;
  /** True when values were de-biased with the local-DP estimator. */
  localDp: boolean;
  cells: QueryCell[];
}

/** One entry of the public data dictionary at GET /v1/registry. */
export interface DictionaryEntry {
  name: string;
  type: MetricType;
  category: Category;
  description: string;
  purpose: string;
  sensitivity: Sensitivity;
  owner: string;
  expires: string;
  unit?: string;
  /** enumeration: its closed list of values, in the registry's order (which is their natural order, if any). */
  values?: string[];
  /** labeled_counter: its closed list of labels. */
  labels?: string[];
  /** Which mechanisms guard it: always the k-threshold; plus local DP, central DP, domain-only (site). */
  protections: string[];
}

/** One metric's central-DP budget for today (UTC), as listed by GET /v1/privacy. */
export interface PrivacyBudgetLine {
  metric: string;
  /** Epsilon each answer spends. */
  epsilon: number;
  spentToday: number;
  leftToday: number;
  budgetPerDay: number;
}

/**
 * GET /v1/privacy (bearer token): what protects the data right now, for the dashboard's privacy panel.
 */
export interface PrivacyStatus {
  /** Minimum reports behind any released cell. */
  k: number;
  /** The UTC day the budget figures are for; budgets renew at 00:00 UTC. */
  day: string;
  /** Central differential privacy: one line per registry metric, or null when off. */
  dp: PrivacyBudgetLine[] | null;
  /** Metrics randomized on the device (local DP), with their epsilon. */
  localDp: { metric: string; epsilon: number }[];
  /** Cells withheld by the k-threshold since the collector started. */
  suppressedCells: number;
  /** Uploads rejected by the personal-data firewall since start, by "category/detector". */
  firewall: { detector: string; rejected: number }[];
}
