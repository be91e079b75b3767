import type { Category, MetricType, Sensitivity } from '../registry/schema.js';

/**
 * The query API (GET /v1/query, bearer token). The dashboard and any other client read only this.
 *
 *   GET /v1/query?metric=NAME&by=DIMENSION&from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * Every answer is post-processing of stored daily releases (docs/privacy.md): each closed day was released once
 * with differential privacy, and a range is the sum of its released days. Open days are not in any answer.
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

/** An interval around a released figure that holds the true value with about 95% probability. */
export type Interval = [low: number, high: number];

export interface QueryCell {
  /** The dimension value: a day, label, enumeration value, site, crash signature, model family, ... */
  key: string;
  /** Device-days behind this cell, noised; absent where one device-day spans several cells of the grouping. */
  reports?: number;
  reportsInterval?: Interval;
  /** counter / labeled_counter / quantity / crash / event: the sum of values, noised. */
  sum?: number;
  sumInterval?: Interval;
  /** Distributions: percentiles in the metric's unit, from the released histogram (each device-day weighs 1). */
  p50?: number;
  p75?: number;
  p95?: number;
  p99?: number;
  /** 95% intervals of the percentiles, from the lower bound of one release bucket to the upper bound of another. */
  p50Interval?: Interval;
  p75Interval?: Interval;
  p95Interval?: Interval;
  p99Interval?: Interval;
  /** boolean / enumeration: estimated share of device-days with this value (de-biased for local-DP metrics). */
  share?: number;
  shareInterval?: Interval;
  /** Local-DP metrics: the standard error of `share` from randomized response alone. */
  standardError?: number;
  /** crash cells: the error type. */
  label?: string;
}

/** The differential privacy behind an answer. */
export interface AnswerPrivacy {
  /** Each device-day is protected by this epsilon and delta, for all of the app's releases of that day together. */
  epsilon: number;
  delta: number;
  /** The part of each day's epsilon this grouping spent when it was released (the most over the range). */
  groupingEpsilon: number;
  /** Open vocabularies: the noisy device-day count a key needed on a day to be released; null for closed ones. */
  threshold: number | null;
  /** Intervals are about this likely to hold the true value. */
  confidence: number;
}

export interface QueryResult {
  metric: string;
  type: MetricType;
  unit?: string;
  by: Dimension;
  /** The range asked for. */
  from: string;
  to: string;
  /** The last released (closed) day; later days of the range are not in the answer yet. */
  releasedThrough: string;
  /** Released days in the range, i.e. the days the answer sums. */
  days: number;
  /** Device-days in the answer (sum of released cells), or null where one device-day spans several cells. */
  totalReports: number | null;
  totalReportsInterval?: Interval;
  privacy: AnswerPrivacy;
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
  /** How it is released each day: the groupings, and the epsilon each spends per device-day. */
  releases: { by: Dimension; epsilon: number }[];
  /** Which mechanisms guard it, in words. */
  protections: string[];
}

/** One released grouping, as listed by GET /v1/privacy. */
export interface ReleaseLine {
  metric: string;
  by: Dimension;
  /** Epsilon this grouping spends of each device-day's budget. */
  epsilon: number;
  /** Delta it spends (open vocabularies only). */
  delta: number;
  /** Open vocabularies: the noisy device-day count a key needs to be released; null for closed ones. */
  threshold: number | null;
}

/**
 * GET /v1/privacy (bearer token): what protects the data, for the dashboard's privacy panel.
 */
export interface PrivacyStatus {
  /** Each device-day is protected by epsilon and delta for all of its day's releases together. */
  epsilon: number;
  delta: number;
  /** Reports for a day are accepted until the end of this many following UTC days; then the day is released. */
  graceDays: number;
  /** The last released day. */
  releasedThrough: string;
  releases: ReleaseLine[];
  /** Metrics randomized on the device (local DP), with their epsilon. */
  localDp: { metric: string; epsilon: number }[];
  /**
   * Metrics secret-shared with Prio3 between two aggregators (prio3/spec.ts), with their circuit; `active` is
   * false on a lone collector, which then neither receives nor releases them.
   */
  secretShared: { metric: string; circuit: string; active: boolean }[];
  /** Uploads rejected by the personal-data firewall since start, by "category/detector". */
  firewall: { detector: string; rejected: number }[];
}
