import {
  estimateFromRandomized,
  HISTOGRAM_WEIGHT,
  type Interval,
  isMultiKey,
  keyDimension,
  type MetricDefinition,
  type QueryCell,
  RELEASE_BUCKET_COUNT,
  releaseBucketBounds,
  releaseBucketMidpoint,
  releasedValue,
} from '@candor/protocol';
import { discreteLaplaceVariance } from '../release/noise.js';
import type { ReleasedDay } from '../store/types.js';

/** Intervals are mean ± Z standard deviations of the known noise: about 95% (normal approximation). */
export const CONFIDENCE = 0.95;
const Z = 1.96;

interface Summed {
  key: string;
  detail: string;
  reports: number;
  reportsVariance: number;
  value: number;
  valueVariance: number;
  buckets: number[];
  /** Variance of each histogram bucket's noise, summed over days. */
  bucketVariance: number;
}

const interval = (value: number, variance: number, round = true): Interval => {
  const half = Z * Math.sqrt(variance);
  return round ? [Math.round(value - half), Math.round(value + half)] : [value - half, value + half];
};

/**
 * Sums released days cell by cell: a range is exactly the sum of its days (post-processing, no new noise, no
 * budget). `derivedDay` folds a closed-key grouping into one cell per day (a labeled counter's day total is the
 * sum of its released labels).
 */
function sumDays(days: readonly ReleasedDay[], derivedDay: boolean): Summed[] {
  const cells = new Map<string, Summed>();
  for (const day of days) {
    const reportsVariance = discreteLaplaceVariance(day.grouping.reportsScale);
    const valueVariance = day.grouping.valueScale > 0 ? discreteLaplaceVariance(day.grouping.valueScale) : 0;
    for (const line of day.lines) {
      const key = derivedDay ? day.day : line.cell;
      let cell = cells.get(key);
      if (!cell) {
        cell = {
          key,
          detail: '',
          reports: 0,
          reportsVariance: 0,
          value: 0,
          valueVariance: 0,
          buckets: new Array<number>(RELEASE_BUCKET_COUNT).fill(0),
          bucketVariance: 0,
        };
        cells.set(key, cell);
      }
      if (line.bucket < 0) {
        cell.reports += line.reports;
        cell.reportsVariance += reportsVariance;
        cell.value += line.value;
        cell.valueVariance += valueVariance;
        if (line.detail) cell.detail = line.detail;
      } else {
        cell.buckets[line.bucket] = (cell.buckets[line.bucket] ?? 0) + line.value;
        if (line.bucket === 0) cell.bucketVariance += valueVariance;
      }
    }
  }
  return [...cells.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Percentiles are given only when the buckets kept hold at least this share of the weight the cell's device-days
 * put in (each puts HISTOGRAM_WEIGHT per key). Below it, what is left is the few buckets that cleared the noise
 * floor, or one that noise alone pushed over it: the demo's 108 device-days of one day answered a median page load
 * of 14.7 minutes from a single such bucket.
 */
const MIN_KEPT_SHARE = 0.5;

/** How often noise alone may lift some bucket of a released histogram over the floor (see `noiseFloor`). */
const PHANTOM_BUCKET_RATE = 0.01;

/**
 * The weight a bucket must exceed to be taken as holding data: noise alone lifts one of `count` empty buckets over
 * it in at most one histogram in a hundred. Release noise is discrete Laplace, P(X > x) = e^(-x/b) / 2 with
 * b = sqrt(variance / 2) (for a sum of days, whose tails are lighter, this errs towards withholding). Four standard
 * deviations, the floor before, is only 5.7 b: in the demo one histogram day in six kept a bucket that was noise
 * alone, and where the day's own buckets stayed under the floor that bucket was its every percentile, with an
 * interval of zero width (a median page load of 4.9 s against about 1.2 s).
 */
function noiseFloor(bucketVariance: number, count: number): number {
  return Math.sqrt(bucketVariance / 2) * Math.log(Math.max(1, count) / (2 * PHANTOM_BUCKET_RATE));
}

/**
 * Percentile p (0..100) of a noisy histogram, and an interval for it. Every released bucket carries noise, most of
 * them over no data; buckets under the noise floor are taken as empty (post-processing, no budget), so that noise
 * does not pile up into the tails or stand in for data. Null when the kept buckets hold less than `minKept` of
 * weight (see MIN_KEPT_SHARE). The interval runs from the lower bound of the bucket at p - Z standard deviations of
 * the noise left on the cumulative weight (relative to the total) to the upper bound of the bucket at p + Z.
 */
function percentile(buckets: readonly number[], bucketVariance: number, p: number, minKept: number) {
  const floor = noiseFloor(bucketVariance, buckets.length);
  const kept = buckets.map((w) => (w > floor ? w : 0));
  const cumulative: number[] = [];
  let total = 0;
  for (const w of kept) {
    total += w;
    cumulative.push(total);
  }
  if (total <= 0 || total < minKept) return null;
  const bucketAt = (q: number) => {
    const rank = Math.min(1, Math.max(0, q / 100)) * total;
    const index = cumulative.findIndex((c) => c >= rank);
    return index < 0 ? buckets.length - 1 : index;
  };
  const tenth = (v: number) => Math.round(v * 10) / 10;
  const nonEmpty = kept.filter((w) => w > 0).length;
  const spread = ((Z * Math.sqrt(bucketVariance * nonEmpty)) / total) * 100;
  // A bucket says only that its values lie between its bounds, so the interval spans the buckets at its ends
  // whole: however little noise there is, it is never narrower than the bucket the percentile falls in.
  const [low] = releaseBucketBounds(bucketAt(p - spread));
  const [, high] = releaseBucketBounds(bucketAt(p + spread));
  return { value: tenth(releaseBucketMidpoint(bucketAt(p))), interval: [tenth(low), tenth(high)] as Interval };
}

/** Builds the answer's cells from the released days of one grouping. */
export function answerCells(
  def: MetricDefinition,
  by: string,
  days: readonly ReleasedDay[],
  derivedDay: boolean,
): { cells: QueryCell[]; total: number | null; totalVariance: number } {
  const kind = releasedValue(def.type);
  const summed = sumDays(days, derivedDay);
  // Where one device-day touches several cells (a labeled counter's labels), device-days do not add up across
  // cells; each cell still counts the device-days that had its key (a summed day cannot say which did).
  const spansCells = isMultiKey(def.type) && (by === keyDimension(def.type) || derivedDay);
  const total = spansCells ? null : summed.reduce((s, c) => s + c.reports, 0);
  const totalVariance = summed.reduce((s, c) => s + c.reportsVariance, 0);
  const cells = summed.map((c): QueryCell => {
    const cell: QueryCell = { key: c.key };
    if (!derivedDay || !spansCells) {
      cell.reports = c.reports;
      cell.reportsInterval = interval(c.reports, c.reportsVariance);
    }
    if (c.detail) cell.label = c.detail;
    if (kind === 'sum') {
      cell.sum = c.value;
      cell.sumInterval = interval(c.value, c.valueVariance);
    }
    if (kind === 'histogram') {
      for (const p of [50, 75, 95, 99] as const) {
        const result = percentile(c.buckets, c.bucketVariance, p, c.reports * HISTOGRAM_WEIGHT * MIN_KEPT_SHARE);
        if (!result) continue;
        cell[`p${p}`] = result.value;
        cell[`p${p}Interval`] = result.interval;
      }
    }
    return cell;
  });
  if (kind === 'none' && by === 'value' && total !== null && total > 0) {
    const positive = summed.reduce((s, c) => s + Math.max(0, c.reports), 0);
    for (const [i, cell] of cells.entries()) {
      const c = summed[i] as Summed;
      const noiseSe = Math.sqrt(c.reportsVariance) / Math.max(1, positive);
      if (def.ldp) {
        const estimate = estimateFromRandomized(Math.max(0, c.reports), positive, def.ldp.epsilon, cells.length);
        const se = Math.sqrt(estimate.standardError ** 2 + noiseSe ** 2);
        cell.share = estimate.share;
        cell.standardError = estimate.standardError;
        cell.shareInterval = interval(estimate.share, se ** 2, false).map((v) =>
          Math.min(1, Math.max(0, v)),
        ) as Interval;
      } else {
        cell.share = positive > 0 ? Math.max(0, c.reports) / positive : 0;
        cell.shareInterval = interval(cell.share, noiseSe ** 2, false).map((v) =>
          Math.min(1, Math.max(0, v)),
        ) as Interval;
      }
    }
  }
  return { cells, total, totalVariance };
}

export { interval as confidenceInterval };
