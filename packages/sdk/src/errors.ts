/** Why a sample was dropped instead of recorded. Counted in production, thrown as a CandorUsageError in development. */
export const DROP_REASONS = [
  'unknown_metric',
  'wrong_type',
  'unknown_label',
  'invalid_value',
  'unknown_extra',
  'too_many_entries',
  'invalid_config',
  /** A site sample whose public suffix list chunk could not be loaded: dropped rather than sent unreduced. */
  'site_list_unavailable',
  /** A value past the metric's per-device-day bound (protocol privacy/contribution.ts): clamped or left out. */
  'over_daily_bound',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** A developer mistake: an undeclared metric, a wrong type, an unknown label, a bad value or bad options. */
export class CandorUsageError extends Error {
  override readonly name = 'CandorUsageError';
  constructor(
    readonly reason: DropReason,
    message: string,
  ) {
    super(`candor: ${message}`);
  }
}

/** Internal error counters, readable through `candor.errors`. They count; they never hold a value or a URL. */
export interface ErrorCounters {
  droppedSamples: Record<DropReason, number>;
  /** Uploads the collector refused with a 4xx (the reports in them are dropped, not retried). */
  rejectedUploads: number;
  rejectedReports: number;
  /** Reports dropped because the offline queue was over its byte or count bound (oldest first). */
  queueOverflow: number;
  /** Upload attempts that failed with a 5xx or a network error and were scheduled for retry. */
  retriedUploads: number;
  /** Key refetches after the collector answered "unknown key id". */
  keyRefetches: number;
  /** Seals or key fetches that failed (the reports stay queued). */
  sealFailures: number;
  /** Writes to the offline queue storage that failed. */
  storageFailures: number;
  /** Anything else that went wrong inside a flush; counted so it never reaches the app as an exception. */
  internalErrors: number;
}

export function createErrorCounters(): ErrorCounters {
  const droppedSamples = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) droppedSamples[r] = 0;
  return {
    droppedSamples,
    rejectedUploads: 0,
    rejectedReports: 0,
    queueOverflow: 0,
    retriedUploads: 0,
    keyRefetches: 0,
    sealFailures: 0,
    storageFailures: 0,
    internalErrors: 0,
  };
}
