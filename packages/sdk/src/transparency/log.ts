import type { Report } from '@candor/protocol';

/** One report exactly as it was sent (before sealing), with when, where, and what the collector answered. */
export interface TransparencyEntry {
  /** ISO time the upload was attempted. Kept on the device only; reports themselves carry a day, never a time. */
  sentAt: string;
  collector: string;
  /**
   * accepted (2xx); rejected (4xx, dropped); retrying (5xx or network error, it will be sent again); dropped
   * (consent was withdrawn while it was being sent, so it will not be sent again).
   */
  status: 'accepted' | 'rejected' | 'retrying' | 'dropped';
  httpStatus: number | null;
  report: Report;
}

/** Keeps the last `size` entries, newest last. */
export function appendToLog(log: TransparencyEntry[], entries: TransparencyEntry[], size: number): TransparencyEntry[] {
  const next = log.concat(entries);
  return next.length > size ? next.slice(next.length - size) : next;
}
