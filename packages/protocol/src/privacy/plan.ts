import { ACTIVITY_DEFINITIONS, DEFAULT_ACTIVITY_WEIGHTS } from '../activity/metrics.js';
import type { Dimension } from '../query/types.js';
import type { MetricDefinition, Registry } from '../registry/schema.js';
import {
  cellsPerDeviceDay,
  closedDomain,
  DEVICE_DAYS_DEFINITION,
  DEVICE_DAYS_METRIC,
  DEVICE_DIMENSIONS,
  keyDimension,
  releasedValue,
  sensitivity,
} from './facts.js';

/**
 * The privacy budget of one device-day, for the whole app. Every release of a day (each metric, each grouping)
 * spends a share of it; by basic sequential composition the shares add up to exactly this. Different days hold
 * different device-days, so a device active on N days is covered by N such budgets (docs/privacy.md).
 */
export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** The default: each device-day is protected by epsilon = 8, delta = 1e-6 (see docs/privacy.md for why). */
export const DEFAULT_PRIVACY_BUDGET: PrivacyBudget = { epsilon: 8, delta: 1e-6 };

/** A registry metric's share of the budget and its released groupings, unless its `release` says otherwise. */
export const DEFAULT_RELEASE_WEIGHT = 1;

/**
 * Default groupings: a metric without keys is released by day; one with a closed set of keys (labels, values) by
 * key, its daily total being the sum of those cells; one with open keys (sites, signatures, event shapes) by key
 * and by day, since partition selection drops rare keys and their sum would undercount the day.
 */
export function defaultReleaseDimensions(def: MetricDefinition): Dimension[] {
  const key = keyDimension(def.type);
  if (!key) return ['day'];
  return closedDomain(def, key) ? [key] : [key, 'day'];
}

/**
 * Device-days (active installs) are released by day and by each device dimension the dashboard shows (OS major
 * alone is left out: OS and major together say more for the same budget).
 */
export const DEFAULT_DEVICE_DAYS_RELEASE: { by: Dimension[]; weight: number } = {
  by: ['day', ...DEVICE_DIMENSIONS.filter((d) => d !== 'osMajor')],
  weight: 3,
};

/** The activity metrics' total default weight: the same as device-days'. */
export const DEFAULT_ACTIVITY_WEIGHT = Object.values(DEFAULT_ACTIVITY_WEIGHTS).reduce((s, w) => s + w, 0);

/**
 * The four `$activity_*` metrics (activity/metrics.ts), each released by value over its closed domain, sharing
 * the registry's `activity.weight` in the proportions of DEFAULT_ACTIVITY_WEIGHTS.
 */
function activityMetrics(registry: Registry) {
  const scale = (registry.activity?.weight ?? DEFAULT_ACTIVITY_WEIGHT) / DEFAULT_ACTIVITY_WEIGHT;
  return Object.entries(ACTIVITY_DEFINITIONS).map(([metric, def]) => ({
    metric,
    def,
    by: ['value'] as Dimension[],
    weight: DEFAULT_ACTIVITY_WEIGHTS[metric as keyof typeof DEFAULT_ACTIVITY_WEIGHTS] * scale,
  }));
}

/** One grouping of one metric, released every day with its own slice of the day's budget. */
export interface PlannedRelease {
  metric: string;
  definition: MetricDefinition;
  by: Dimension;
  /** The slice of the device-day's epsilon this grouping spends (counts and values together). */
  epsilon: number;
  /** Open-vocabulary groupings only: the delta spent on partition selection; 0 otherwise. */
  delta: number;
  /** Discrete Laplace scale of each cell's device-day count. */
  reportsScale: number;
  /** Discrete Laplace scale of each cell's sum or histogram bucket weight; 0 when the cell has no value. */
  valueScale: number;
  /** The closed domain released in full, or null when keys must pass `threshold`. */
  domain: readonly string[] | null;
  /** Open vocabulary: the smallest noisy device-day count at which a key is released. */
  threshold: number;
}

export interface ReleasePlan {
  budget: PrivacyBudget;
  releases: PlannedRelease[];
  /** How each metric answers `by=day` when it has no day release of its own: from its closed-key release. */
  find(metric: string, by: Dimension): PlannedRelease | undefined;
  definition(metric: string): MetricDefinition | undefined;
}

/**
 * Splits one device-day's budget over every release: each metric gets epsilon in proportion to its weight (the
 * registry's `release.weight`, default 1; device-days count 3), divided evenly over its groupings; within a
 * grouping, the device-day counts get half (open vocabularies) or a quarter (closed ones and days) and the values
 * the rest, or the counts all of it when there are no values. Delta
 * is divided evenly over the open-vocabulary groupings, the only ones that can fail to be epsilon-private.
 */
export function releasePlan(registry: Registry, budget: PrivacyBudget = DEFAULT_PRIVACY_BUDGET): ReleasePlan {
  if (!(budget.epsilon > 0) || !(budget.delta > 0 && budget.delta < 1)) {
    throw new Error('the privacy budget needs epsilon > 0 and 0 < delta < 1');
  }
  const metrics: { metric: string; def: MetricDefinition; by: Dimension[]; weight: number }[] = [
    {
      metric: DEVICE_DAYS_METRIC,
      def: DEVICE_DAYS_DEFINITION,
      by: registry.deviceDays?.by ?? DEFAULT_DEVICE_DAYS_RELEASE.by,
      weight: registry.deviceDays?.weight ?? DEFAULT_DEVICE_DAYS_RELEASE.weight,
    },
    ...activityMetrics(registry),
    ...Object.entries(registry.metrics).map(([metric, def]) => ({
      metric,
      def,
      by: def.release?.by ?? defaultReleaseDimensions(def),
      weight: def.release?.weight ?? DEFAULT_RELEASE_WEIGHT,
    })),
  ];
  const totalWeight = metrics.reduce((s, m) => s + m.weight, 0);
  const open = metrics.reduce((n, m) => n + m.by.filter((by) => !closedDomain(m.def, by) && by !== 'day').length, 0);
  const releases: PlannedRelease[] = [];
  for (const m of metrics) {
    for (const by of m.by) {
      const epsilon = (budget.epsilon * m.weight) / totalWeight / m.by.length;
      const hasValue = releasedValue(m.def.type) !== 'none';
      const domain = by === 'day' ? [] : closedDomain(m.def, by);
      // Device-day counts are what partition selection tests, so open vocabularies give them half; elsewhere
      // the values (sums, histograms) are what the figure is about and get three quarters.
      const reportsShare = !hasValue ? 1 : domain ? 0.25 : 0.5;
      const reportsEpsilon = epsilon * reportsShare;
      const s = sensitivity(m.def, by);
      const reportsScale = s.reports / reportsEpsilon;
      const delta = domain ? 0 : budget.delta / open;
      // A key held by one device-day has a noisy count of 1 + X; with X discrete Laplace of scale b,
      // P(X >= t) <= exp(-t / b). A device-day touches at most C keys, so P(any of them released) <= delta when
      // each is released only from 1 + b ln(C / delta) up.
      const threshold = domain ? 0 : 1 + Math.ceil(reportsScale * Math.log(cellsPerDeviceDay(m.def, by) / delta));
      releases.push({
        metric: m.metric,
        definition: m.def,
        by,
        epsilon,
        delta,
        reportsScale,
        valueScale: hasValue ? s.value / (epsilon * (1 - reportsShare)) : 0,
        domain,
        threshold,
      });
    }
  }
  const index = new Map(releases.map((r) => [`${r.metric}|${r.by}`, r]));
  const definitions = new Map(metrics.map((m) => [m.metric, m.def]));
  return {
    budget,
    releases,
    find: (metric, by) => index.get(`${metric}|${by}`),
    definition: (metric) => definitions.get(metric),
  };
}
