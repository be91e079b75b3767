import { BUCKETS_PER_DOUBLING, bucketLowerBound } from '../metrics/buckets.js';
import { RELEASE_BUCKETS_PER_DOUBLING } from '../metrics/release-buckets.js';
import { DIMENSIONS, type Dimension } from '../query/types.js';
import type { MetricDefinition, MetricType } from '../registry/schema.js';
import { OS_NAMES } from '../report/schema.js';
import { contributionBounds } from './contribution.js';

/**
 * The privacy facts of each metric type, in one place: which dimensions it can be grouped by, which of those have
 * a closed vocabulary, how many cells one device-day can touch, and how far one device-day can move the released
 * figures (L1 sensitivity). Ingest flattening, both stores and the release all read them from here; a drift
 * between copies would be a privacy bug.
 */

/** The built-in metric counting active device-days: every accepted report is one device-day. */
export const DEVICE_DAYS_METRIC = '$daily_activity';

/** Its definition, so it is released like any registry counter of one per device-day. */
export const DEVICE_DAYS_DEFINITION: MetricDefinition = {
  type: 'boolean',
  description: 'Active device-days: each accepted daily report counts once.',
  category: 'system',
  owner: 'candor',
  purpose: 'How many installs were in use each day, without any identifier.',
  sensitivity: 'technical',
  expires: 'never',
  unit: 'count',
};

/** Dimensions read from the device's system info. */
export const DEVICE_DIMENSIONS: readonly Dimension[] = [
  'modelFamily',
  'os',
  'osMajor',
  'osVersion',
  'language',
  'appVersion',
];

/** Dimensions whose cell is one of the metric's own keys (a label, value, site, signature or event shape). */
export const KEY_DIMENSIONS: readonly Dimension[] = ['label', 'value', 'site', 'signature'];

/** The values a release bucket holds: from its lower bound up to the next bucket's. */
export function releaseBucketBounds(index: number): [low: number, high: number] {
  const width = BUCKETS_PER_DOUBLING / RELEASE_BUCKETS_PER_DOUBLING;
  return [bucketLowerBound(index * width), bucketLowerBound((index + 1) * width)];
}

/** The value a release bucket stands for in percentiles: its geometric midpoint. */
export function releaseBucketMidpoint(index: number): number {
  const [low, high] = releaseBucketBounds(index);
  return Math.sqrt((low + 1) * (high + 1)) - 1;
}
/**
 * Each device-day's histogram (per key) is weighted to this total before it is summed, so one device-day moves a
 * histogram by at most this much whatever its sample count (integers, so the noise stays discrete).
 */
export const HISTOGRAM_WEIGHT = 100;

export function isDistribution(type: MetricType): boolean {
  return type === 'timing_distribution' || type === 'memory_distribution' || type === 'site';
}

/** Types where one device-day contributes several keys. */
export function isMultiKey(type: MetricType): boolean {
  return type === 'labeled_counter' || type === 'site' || type === 'crash' || type === 'event';
}

/** The key dimension a type is grouped by, if any. */
export function keyDimension(type: MetricType): Dimension | null {
  switch (type) {
    case 'labeled_counter':
    case 'event':
      return 'label';
    case 'boolean':
    case 'enumeration':
      return 'value';
    case 'site':
      return 'site';
    case 'crash':
      return 'signature';
    default:
      return null;
  }
}

/** Which dimensions a metric can be grouped by. */
export function dimensionsFor(def: MetricDefinition): Dimension[] {
  const key = keyDimension(def.type);
  return DIMENSIONS.filter((d) => d === 'day' || DEVICE_DIMENSIONS.includes(d) || d === key);
}

/**
 * Every shape an event can take when its extras are all enumerations or booleans: each extra absent or one of its
 * values, written as rows.ts writes a shape ("k=v" pairs sorted by name, joined by commas). Null when an extra is
 * a quantity (its values are not a closed list).
 */
function eventShapes(def: MetricDefinition): string[] | null {
  const extras = Object.entries(def.extras ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let shapes: string[][] = [[]];
  for (const [name, extra] of extras) {
    if (extra.type === 'quantity') return null;
    const values = extra.type === 'boolean' ? ['true', 'false'] : extra.values;
    shapes = shapes.flatMap((shape) => [shape, ...values.map((v) => [...shape, `${name}=${v}`])]);
  }
  return shapes.map((shape) => shape.join(','));
}

/**
 * The registry domain of a closed-vocabulary dimension (every value is released, noised, so no key's presence
 * says data exists), or null for an open one (keys come from data and pass partition selection).
 */
export function closedDomain(def: MetricDefinition, by: Dimension): readonly string[] | null {
  switch (by) {
    case 'os':
      return OS_NAMES;
    case 'label':
      if (def.type === 'event') return eventShapes(def);
      return def.type === 'labeled_counter' ? (def.labels ?? []) : null;
    case 'value':
      return def.type === 'boolean' ? ['true', 'false'] : def.type === 'enumeration' ? (def.values ?? []) : null;
    default:
      return null;
  }
}

/** How many cells of one grouping a single device-day can touch. */
export function cellsPerDeviceDay(def: MetricDefinition, by: Dimension): number {
  if (!KEY_DIMENSIONS.includes(by)) return 1;
  switch (def.type) {
    case 'labeled_counter':
      return def.labels?.length ?? 1;
    case 'site':
    case 'crash':
      return contributionBounds(def).keys;
    case 'event':
      return Math.min(contributionBounds(def).keys, eventShapes(def)?.length ?? Number.POSITIVE_INFINITY);
    default:
      return 1;
  }
}

/** What a released cell carries besides its device-day count. */
export type ReleasedValue = 'sum' | 'histogram' | 'none';

export function releasedValue(type: MetricType): ReleasedValue {
  if (isDistribution(type)) return 'histogram';
  if (type === 'boolean' || type === 'enumeration') return 'none';
  return 'sum';
}

/**
 * L1 sensitivity of one grouping's released figures: how much one device-day can change the vector of device-day
 * counts, and the vector of sums or histogram weights, over all cells of the grouping.
 */
export function sensitivity(def: MetricDefinition, by: Dimension): { reports: number; value: number } {
  const bounds = contributionBounds(def);
  const reports = cellsPerDeviceDay(def, by);
  switch (def.type) {
    case 'counter':
    case 'quantity':
      return { reports, value: Math.ceil(bounds.value) };
    case 'labeled_counter':
      return { reports, value: Math.ceil(bounds.total) };
    case 'crash':
      return { reports, value: Math.ceil(bounds.value) * bounds.keys };
    case 'event':
      return { reports, value: bounds.keys };
    case 'timing_distribution':
    case 'memory_distribution':
    case 'site':
      return { reports, value: HISTOGRAM_WEIGHT * bounds.keys };
    case 'boolean':
    case 'enumeration':
      return { reports, value: 0 };
  }
}
