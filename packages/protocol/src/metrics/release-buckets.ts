import { BUCKETS_PER_DOUBLING } from './buckets.js';

// Apart from buckets.ts, which the browser SDK's core reads, so the code that only releases and secret-shares
// histograms is bundled where it is used.

/**
 * Histograms are released on coarse buckets, 2 per doubling (devices bucket with 8), and values from 2^24 (4.7
 * hours in ms, 16 GB in kB) share the top bucket: every released bucket carries noise, so fewer buckets add up
 * to less of it.
 */
export const RELEASE_BUCKETS_PER_DOUBLING = 2;
const RELEASE_TOP_BUCKET = 24 * RELEASE_BUCKETS_PER_DOUBLING;
/** Fine bucket index to release bucket index. */
export function releaseBucket(fineIndex: number): number {
  return Math.min(RELEASE_TOP_BUCKET, Math.floor(fineIndex / (BUCKETS_PER_DOUBLING / RELEASE_BUCKETS_PER_DOUBLING)));
}
/** Number of release buckets: every one is released, noised, whether or not any device-day fell in it. */
export const RELEASE_BUCKET_COUNT = RELEASE_TOP_BUCKET + 1;
