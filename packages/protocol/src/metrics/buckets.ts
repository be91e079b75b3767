/**
 * Timing and memory distributions use fixed log-scale buckets, 8 per power of two (about 9% wide), so every
 * device buckets a value the same way and the server can merge histograms by adding counts:
 *
 *   bucket(v) = floor(8 * log2(v + 1))        lowerBound(i) = 2^(i / 8) - 1
 *
 * Values are clamped to [0, MAX_BUCKETED_VALUE]; the highest index is bucketIndex(MAX_BUCKETED_VALUE) = 256.
 */
export const BUCKETS_PER_DOUBLING = 8;
export const MAX_BUCKETED_VALUE = 2 ** 32 - 1;
export const MAX_BUCKET_INDEX = 256;

export function bucketIndex(value: number): number {
  const v = value > 0 ? (value < MAX_BUCKETED_VALUE ? value : MAX_BUCKETED_VALUE) : 0;
  return Math.floor(BUCKETS_PER_DOUBLING * Math.log2(v + 1));
}

/** Every bucket's lower bound, made once: checking a distribution's sum looks up two per bucket. */
const LOWER_BOUNDS = Array.from({ length: MAX_BUCKET_INDEX + 2 }, (_, i) => 2 ** (i / BUCKETS_PER_DOUBLING) - 1);

export function bucketLowerBound(index: number): number {
  return LOWER_BOUNDS[index] ?? 2 ** (index / BUCKETS_PER_DOUBLING) - 1;
}

/** A geometric midpoint stands for every value in a bucket when estimating percentiles. */
export function bucketMidpoint(index: number): number {
  return Math.sqrt((bucketLowerBound(index) + 1) * (bucketLowerBound(index + 1) + 1)) - 1;
}

/** Percentile (0..100) of a merged histogram given as bucket index -> count. */
export function percentileFromBuckets(buckets: ReadonlyMap<number, number>, percentile: number): number | null {
  let total = 0;
  for (const c of buckets.values()) total += c;
  if (total <= 0) return null;
  const rank = (percentile / 100) * total;
  let seen = 0;
  for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(index) ?? 0;
    if (seen >= rank) return bucketMidpoint(index);
  }
  return bucketMidpoint(Math.max(...buckets.keys()));
}
