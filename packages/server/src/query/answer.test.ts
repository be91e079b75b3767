import { candorBrowserRegistry, HISTOGRAM_WEIGHT, type MetricDefinition } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import type { ReleasedDay } from '../store/types.js';
import { answerCells } from './answer.js';

const METRIC = 'page_load.time';
const def = candorBrowserRegistry.metrics[METRIC] as MetricDefinition;
const DAY = '2026-11-17';

/** One released day of `page_load.time` by day: `deviceDays` counted, and these noisy bucket weights. */
function released(deviceDays: number, buckets: Record<number, number>): ReleasedDay {
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
    grouping: { metric: METRIC, by: 'day', epsilon: 0.2, delta: 1e-6, reportsScale: 10, valueScale: 100, threshold: 0 },
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
});
