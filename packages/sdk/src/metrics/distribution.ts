import { bucketIndex } from '@candor/protocol/metrics/buckets';

/**
 * A timing or memory distribution: count, sum and counts per fixed log-scale bucket (protocol
 * metrics/buckets.ts: 8 buckets per doubling, bucket(v) = floor(8 * log2(v + 1)), values clamped to [0, 2^32-1]).
 * Only the buckets leave the device, never single samples.
 */
export class Distribution {
  count = 0;
  sum = 0;
  /** Sparse: bucket index -> count. */
  buckets: Record<number, number> = {};

  record(value: number): void {
    const i = bucketIndex(value);
    this.buckets[i] = (this.buckets[i] ?? 0) + 1;
    this.count++;
    this.sum += value;
  }

  toJSON(): { sum: number; count: number; buckets: Record<string, number> } {
    const buckets: Record<string, number> = {};
    for (const key of Object.keys(this.buckets)) buckets[key] = this.buckets[Number(key)] ?? 0;
    return { sum: this.sum, count: this.count, buckets };
  }
}
