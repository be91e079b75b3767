import { REPORT_DAYS_LATE } from '../report/day.js';

/**
 * When a day closes: once it has left ingest's accepted-day window (`REPORT_DAYS_LATE`, report/day.ts, the one
 * home of the grace period), no report can join it, so it is released then, once, and its rows deleted.
 */
const DAY_MS = 86_400_000;

/** The last UTC day that is closed at `now`, as YYYY-MM-DD. */
export function lastClosedDay(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (REPORT_DAYS_LATE + 1) * DAY_MS).toISOString().slice(0, 10);
}
