import type { Report } from '@candor/protocol';

/** One report exactly as it was sent (before sealing), with when, where, and what the collector answered. */
export interface TransparencyEntry {
  /**
   * When the upload was last attempted, to the minute (ISO, e.g. 2026-11-22T10:41Z). Kept on the device only;
   * reports themselves carry a day, never a time.
   */
  sentAt: string;
  collector: string;
  /**
   * accepted (2xx); rejected (4xx, dropped); retrying (5xx or network error, it will be sent again); dropped
   * (consent was withdrawn while it was being sent, so it will not be sent again); late (not sent: its day was
   * already outside the days the collector accepts, protocol report/day.ts, so it was dropped on the device;
   * `sentAt` is then when it was dropped).
   */
  status: 'accepted' | 'rejected' | 'retrying' | 'dropped' | 'late';
  httpStatus: number | null;
  /**
   * The report as recorded. A metric the registry marks `prio3` is this device's own record only: it left as two
   * Prio3 secret shares, one for each aggregator (or not at all without a helper).
   */
  report: Report;
}

/**
 * Keeps the last `size` reports, newest last, each once: a report sent again (after a retry) replaces its
 * earlier entry, so the log shows every report with its final state.
 */
export function appendToLog(log: TransparencyEntry[], entries: TransparencyEntry[], size: number): TransparencyEntry[] {
  const ids = new Set(entries.map((e) => e.report.id));
  const next = log.filter((e) => !ids.has(e.report.id)).concat(entries);
  return next.length > size ? next.slice(next.length - size) : next;
}
