/**
 * When a day closes. A device sends its report for a UTC day at the first chance after the day ends; reports for
 * a day are accepted until the end of the following UTC day (this grace covers time zones and a night offline).
 * After that the day is released once and its rows are deleted; a later report for it is not counted.
 *
 * The one home of the grace period: ingest's day window and the release both read it.
 */
export const REPORT_GRACE_DAYS = 1;

const DAY_MS = 86_400_000;

/** The last UTC day that is closed at `now`, as YYYY-MM-DD. */
export function lastClosedDay(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (REPORT_GRACE_DAYS + 1) * DAY_MS).toISOString().slice(0, 10);
}

/** True once `day` (YYYY-MM-DD) has closed at `now`. */
export function isClosedDay(day: string, now: Date): boolean {
  return day <= lastClosedDay(now);
}
