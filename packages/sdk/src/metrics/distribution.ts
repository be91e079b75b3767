import { MAX_BUCKET_INDEX, MAX_BUCKETED_VALUE } from '@candor/protocol/metrics/buckets';

/**
 * A timing or memory distribution: count, sum and counts per fixed log-scale bucket (protocol
 * metrics/buckets.ts: 8 buckets per doubling, bucket(v) = floor(8 * log2(v + 1)), values clamped to [0, 2^32-1]).
 * Only the buckets leave the device, never single samples.
 *
 * The bucket formula is inlined and counts live in a typed array (allocated on first sample) because this is
 * the hot path of the SDK: `candor bench sdk` measures it against OpenTelemetry's histogram record.
 * test/units.test.ts checks the inlined formula against protocol bucketIndex.
 */
export class Distribution {
  count = 0;
  sum = 0;
  private counts: Uint32Array | null = null;

  record(value: number): void {
    const clamped = Math.min(value, MAX_BUCKETED_VALUE);
    let counts = this.counts;
    if (counts === null) {
      counts = new Uint32Array(MAX_BUCKET_INDEX + 1);
      this.counts = counts;
    }
    const index = Math.floor(8 * Math.log2(clamped + 1));
    counts[index] = (counts[index] as number) + 1;
    this.count++;
    this.sum += value;
  }

  toJSON(): { sum: number; count: number; buckets: Record<string, number> } {
    const buckets: Record<string, number> = {};
    const counts = this.counts;
    if (counts) for (let i = 0; i < counts.length; i++) if (counts[i]) buckets[i] = counts[i] as number;
    return { sum: this.sum, count: this.count, buckets };
  }
}
