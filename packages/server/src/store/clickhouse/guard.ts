import { parseDay } from '@candor/protocol';
import type { SampleRow } from '../types.js';

/**
 * The last fence before ClickHouse, which stores what it is given without complaint: an impossible day becomes
 * another day (2026-02-30 is filed as 2026-03-02, 2026-13-45 as 0000-00-00), a count past 2^64 wraps, and one
 * Infinity or NaN turns a whole cell's sum into NaN for every honest report in it. The collector's checks should
 * refuse all of these first; this refuses them here too, whatever those checks let through, so a report the
 * embedded DuckDB store would refuse never reaches ClickHouse.
 */

const DAY_MS = 86_400_000;
/** A ClickHouse Date is a day number from 1970-01-01 (shown as 0000-00-00) to 2105; anything else is mangled. */
const FIRST_DAY = 1;
const LAST_DAY = Date.UTC(2105, 11, 31) / DAY_MS;
/**
 * Bound of one report's row value. Far above any real measurement (registry bounds are tighter, and rows.ts clamps
 * to them), and low enough that no number of reports can sum a Float64 cell to Infinity.
 */
export const MAX_ROW_VALUE = 2 ** 53;

/** A real calendar day (protocol's strict parse) that ClickHouse's Date stores as itself, as epoch ms, or null. */
function storableDay(day: string): number | null {
  const days = parseDay(day);
  if (days === null || days < FIRST_DAY || days > LAST_DAY) return null;
  return days * DAY_MS;
}

/** The samples table's partition of a day, computed as ClickHouse's toYYYYMM(day) does; null for a day it would mangle. */
export function partitionOf(day: string): number | null {
  const time = storableDay(day);
  if (time === null) return null;
  const d = new Date(time);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}

/** Why ClickHouse must not be given these rows of one report, or null when they are safe to store. */
export function refusalOf(day: string, rows: readonly SampleRow[]): string | null {
  if (storableDay(day) === null) return `day "${day}" is not a real calendar day between 1970-01-02 and 2105-12-31`;
  for (const row of rows) {
    const where = `${row.metric}${row.cell ? ` ${row.cell}` : ''}`;
    if (row.day !== day) return `${where}: row day "${row.day}" differs from the report's day "${day}"`;
    if (!Number.isFinite(row.value) || Math.abs(row.value) > MAX_ROW_VALUE) {
      return `${where}: value ${row.value} is not a finite number within ±2^53`;
    }
    if (!Number.isInteger(row.bucket) || row.bucket < -1 || row.bucket > 32_767) {
      return `${where}: bucket ${row.bucket} is not -1 or a bucket index`;
    }
  }
  return null;
}
