import { MAX_REPORTS_PER_BATCH } from '@candor/protocol';

/** Upload limits; each is enforced before the more expensive step it protects. */
export interface IngestLimits {
  /** Sealed body size; larger answers 413 before it is read. */
  maxBodyBytes: number;
  /** Decompressed JSON size; a gzip bomb answers 413 without being inflated beyond it. */
  maxPlaintextBytes: number;
  /** Reports per upload (at most the protocol's MAX_REPORTS_PER_BATCH). */
  maxReportsPerBatch: number;
  ratePerMinute: number;
  burst: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxBodyBytes: 256 * 1024,
  maxPlaintextBytes: 2 * 1024 * 1024,
  maxReportsPerBatch: MAX_REPORTS_PER_BATCH,
  ratePerMinute: 120,
  burst: 60,
};
