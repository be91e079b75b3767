import { candorBrowserRegistry, HISTOGRAM_WEIGHT, type MetricDefinition } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { discreteLaplace, type RandomSource } from '../release/noise.js';
import type { ReleasedDay } from '../store/types.js';
import { seededRandom } from '../testing/reports.js';
import { answerCells } from './answer.js';

const METRIC = 'page_load.time';
const def = candorBrowserRegistry.metrics[METRIC] as MetricDefinition;
const DAY = '2026-11-17';

/** One released day of `page_load.time` by day: `deviceDays` counted, and these noisy bucket weights. */
function released(deviceDays: number, buckets: Record<number, number>, valueScale = 100): ReleasedDay {
  const line = (bucket: number, reports: number, value: number) => ({
    metric: METRIC,
    by: 'day' as const,
    cell: DAY,
    detail: '',
    bucket,
    reports,
    value,
  });
  return {
    day: DAY,
    // Bucket noise of scale 100: its standard deviation is about 141, so the floor is about 566.
    grouping: { metric: METRIC, by: 'day', epsilon: 0.2, delta: 1e-6, reportsScale: 10, valueScale, threshold: 0 },
    lines: [line(-1, deviceDays, 0), ...Object.entries(buckets).map(([b, w]) => line(Number(b), 0, w))],
  };
}

describe('percentiles of a released histogram', () => {
  it('are withheld when the buckets that clear the noise hold little of the day’s weight', () => {
    // 108 device-days put 10,800 of weight in; the one bucket over the floor holds 1,000 of it, about 15 minutes.
    const { cells } = answerCells(def, 'day', [released(108, { 10: 400, 11: 500, 40: 1_000 })], false);
    expect(cells[0]).toMatchObject({ key: DAY, reports: 108 });
    expect(cells[0]?.p50).toBeUndefined();
    expect(cells[0]?.p95).toBeUndefined();
  });

  it('come from data, not from a bucket noise alone lifted over the floor', () => {
    // The demo's scale: bucket noise of scale 600 on all 49 release buckets of a day's histogram.
    const random = seededRandom(11);
    const source: RandomSource = { below: (n) => Math.floor(random() * n) };
    const noise = discreteLaplace(source);
    const noisy = (truth: Record<number, number>) =>
      Object.fromEntries(Array.from({ length: 49 }, (_, b) => [b, (truth[b] ?? 0) + noise(600)]));
    const days = 1_000;
    // 63 device-days spread over eight buckets: no bucket's data clears the noise, so no percentile is known.
    let phantom = 0;
    for (let i = 0; i < days; i++) {
      const truth = Object.fromEntries([12, 14, 16, 17, 18, 19, 20, 22].map((b) => [b, (63 * HISTOGRAM_WEIGHT) / 8]));
      if (answerCells(def, 'day', [released(63, noisy(truth), 600)], false).cells[0]?.p50 !== undefined) phantom++;
    }
    // At a floor of four standard deviations one day in eight had a median, from noise (121 of these 1,000).
    expect(phantom / days).toBeLessThan(0.02);
    // 2,000 device-days in three buckets clear it: the median is given, and in the bucket that holds it.
    for (let i = 0; i < 100; i++) {
      const truth = { 17: 800 * HISTOGRAM_WEIGHT, 18: 700 * HISTOGRAM_WEIGHT, 19: 500 * HISTOGRAM_WEIGHT };
      const cell = answerCells(def, 'day', [released(2_000, noisy(truth), 600)], false).cells[0];
      expect(cell?.p50).toBe(answerCells(def, 'day', [released(2_000, truth, 600)], false).cells[0]?.p50);
    }
  });

  it('are given when the kept buckets hold most of it', () => {
    const weight = 108 * HISTOGRAM_WEIGHT;
    const { cells } = answerCells(
      def,
      'day',
      [released(108, { 10: 0.4 * weight, 11: 0.35 * weight, 12: 0.25 * weight, 40: 300 })],
      false,
    );
    expect(cells[0]?.p50).toBeGreaterThan(0);
    expect(cells[0]?.p95).toBeLessThan(1_000_000);
  });

  it('state an interval no narrower than the bucket a percentile falls in, which holds the percentile', () => {
    const weight = 500 * HISTOGRAM_WEIGHT;
    // All the weight in one bucket: no noise moves the rank out of it, yet the value is only known to lie in it.
    const one = answerCells(def, 'day', [released(500, { 17: weight })], false).cells[0];
    const [low, high] = one?.p50Interval ?? [0, 0];
    expect(high).toBeGreaterThan(low);
    expect(one?.p50).toBeGreaterThan(low);
    expect(one?.p50).toBeLessThan(high);
    expect(one?.p99Interval).toEqual(one?.p50Interval);
    // Spread over several buckets, each percentile lies inside its interval too.
    const spread = answerCells(def, 'day', [released(500, { 15: weight / 4, 17: weight / 2, 20: weight / 4 })], false)
      .cells[0];
    for (const p of [50, 95, 99] as const) {
      const value = spread?.[`p${p}`] ?? Number.NaN;
      const [from, to] = spread?.[`p${p}Interval`] ?? [Number.NaN, Number.NaN];
      expect({ p, inside: from < value && value < to }).toEqual({ p, inside: true });
    }
  });
});
