import type { SampleRow } from '../types.js';

/**
 * The last fence before ClickHouse, which stores what it is given without complaint: an impossible day becomes
 * another day (2026-02-30 is filed as 2026-03-02, 2026-13-45 as 0000-00-00), a count past 2^64 wraps, and one
 * Infinity or NaN turns a whole cell's sum into NaN for every honest report in it. The collector's checks should
 * refuse all of these first; this refuses them here too, whatever those checks let through, so a report the
 * embedded DuckDB store would refuse never reaches ClickHouse.
 */

/** A ClickHouse Date is a day number from 1970-01-01 (shown as 0000-00-00) to 2105; anything else is mangled. */
const FIRST_DAY = Date.UTC(1970, 0, 2);
const LAST_DAY = Date.UTC(2105, 11, 31);
/**
 * Bounds of one report's row. Far above any real measurement (registry bounds are tighter), and low enough that
 * no number of reports can sum a cell past a UInt64 count (2^32 per report needs 2^32 reports in one cell) or a
 * Float64 sum to Infinity.
 */
export const MAX_ROW_COUNT = 2 ** 32;
export const MAX_ROW_VALUE = 2 ** 53;

/** The epoch milliseconds of a real calendar day written YYYY-MM-DD, or null (2026-02-30 and 2026-13-45 are not). */
export function calendarDay(day: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, date);
  const back = new Date(time);
  // Date.UTC rolls 2026-02-30 over into March; a real day reads back as itself.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== date) return null;
  return time;
}

/** A real calendar day that ClickHouse's Date stores as itself, as epoch milliseconds, or null. */
export function parseDay(day: string): number | null {
  const time = calendarDay(day);
  if (time === null || time < FIRST_DAY || time > LAST_DAY) return null;
  return time;
}

/** The samples table's partition of a day, computed as ClickHouse's toYYYYMM(day) does; null for a day it would mangle. */
export function partitionOf(day: string): number | null {
  const time = parseDay(day);
  if (time === null) return null;
  const d = new Date(time);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}

/** Why ClickHouse must not be given these rows of one report, or null when they are safe to store. */
export function refusalOf(day: string, rows: readonly SampleRow[]): string | null {
  if (parseDay(day) === null) return `day "${day}" is not a real calendar day between 1970-01-02 and 2105-12-31`;
  for (const row of rows) {
    const where = `${row.metric}${row.key ? ` ${row.key}` : ''}`;
    if (row.day !== day) return `${where}: row day "${row.day}" differs from the report's day "${day}"`;
    if (!Number.isFinite(row.value) || Math.abs(row.value) > MAX_ROW_VALUE) {
      return `${where}: value ${row.value} is not a finite number within ±2^53`;
    }
    if (!Number.isSafeInteger(row.count) || row.count < 0 || row.count > MAX_ROW_COUNT) {
      return `${where}: count ${row.count} is not a whole number from 0 to 2^32`;
    }
    if (!Number.isInteger(row.bucket) || row.bucket < -1 || row.bucket > 32_767) {
      return `${where}: bucket ${row.bucket} is not -1 or a bucket index`;
    }
    if (!Number.isInteger(row.osMajor) || row.osMajor < 0 || row.osMajor > 65_535) {
      return `${where}: osMajor ${row.osMajor} does not fit a UInt16`;
    }
  }
  return null;
}
