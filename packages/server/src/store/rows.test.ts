import { type Distribution, HISTOGRAM_WEIGHT, releaseBucket } from '@candor/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightedHistogram } from './rows.js';

/** Largest remainder written the plain way: shares per release bucket, then one unit each to the largest rests. */
function reference(d: Distribution): Map<number, number> {
  const coarse = new Map<number, number>();
  for (const [index, n] of Object.entries(d.buckets)) {
    const bucket = releaseBucket(Number(index));
    coarse.set(bucket, (coarse.get(bucket) ?? 0) + n);
  }
  const total = [...coarse.values()].reduce((s, n) => s + n, 0);
  if (total <= 0) return new Map();
  const parts = [...coarse].map(([bucket, n]) => {
    const exact = (n / total) * HISTOGRAM_WEIGHT;
    return { bucket, weight: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = HISTOGRAM_WEIGHT - parts.reduce((s, p) => s + p.weight, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest || a.bucket - b.bucket)) {
    if (left-- > 0) p.weight++;
  }
  return new Map(parts.filter((p) => p.weight > 0).map((p) => [p.bucket, p.weight]));
}

const distribution = fc
  .dictionary(
    fc.integer({ min: 0, max: 300 }).map(String),
    fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1_000_000 })),
    { maxKeys: 12 },
  )
  .map((buckets): Distribution => ({ sum: 0, count: 0, buckets }));

describe('weighted histograms', () => {
  it('weigh a device-day to exactly HISTOGRAM_WEIGHT by largest remainder, as the plain way does', () => {
    fc.assert(
      fc.property(distribution, (d) => {
        const flat = weightedHistogram(d);
        const weights = new Map<number, number>();
        for (let i = 0; i < flat.length; i += 2) weights.set(flat[i] as number, flat[i + 1] as number);
        expect(weights.size).toBe(flat.length / 2);
        expect(weights).toEqual(reference(d));
        const total = [...weights.values()].reduce((s, w) => s + w, 0);
        expect(total).toBe(Object.values(d.buckets).some((n) => n > 0) ? HISTOGRAM_WEIGHT : 0);
      }),
      { numRuns: 2000 },
    );
  });
});
