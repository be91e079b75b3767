/**
 * Which report days the collector accepts. A report names the UTC day it was collected; a device that was
 * offline sends it late, and a device clock may run ahead. Days outside the window are refused, so no report can
 * land in a day that was already released or in a far future one. The daily release waits until a day has left
 * the window (`REPORT_DAYS_LATE` days after it ends) so late reports are in it before it is published once.
 */

/** Days before the collector's current UTC day that are still accepted (late uploads from offline devices). */
export const REPORT_DAYS_LATE = 3;
/** Days after the collector's current UTC day that are accepted (device clocks running ahead). */
export const REPORT_DAYS_EARLY = 1;

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The last day parsed and its result: a collector checks one day per report, and an upload's reports share it. */
let lastDay = '';
let lastParsed: number | null = null;

/** Days since the epoch of a strict `YYYY-MM-DD` calendar date, or null when it is no real date (`2026-02-30`). */
export function parseDay(day: string): number | null {
  if (day === lastDay) return lastParsed;
  lastParsed = parseDayUncached(day);
  lastDay = day;
  return lastParsed;
}

function parseDayUncached(day: string): number | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const date = Number(match[3]);
  if (month < 1 || month > 12 || date < 1 || date > 31) return null;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const parsed = new Date(0);
  parsed.setUTCFullYear(year, month - 1, date);
  const ms = parsed.getTime();
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip unchanged.
  if (parsed.getUTCFullYear() !== year || parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== date) {
    return null;
  }
  return ms / DAY_MS;
}

/** The UTC day (`YYYY-MM-DD`) of a time in ms since the epoch. */
export function utcDayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** The first and last accepted day at time `now`, as `YYYY-MM-DD`. */
export function acceptedDays(now: number): { from: string; to: string } {
  const today = Math.floor(now / DAY_MS);
  return { from: utcDayOf((today - REPORT_DAYS_LATE) * DAY_MS), to: utcDayOf((today + REPORT_DAYS_EARLY) * DAY_MS) };
}

/** Why `day` is not accepted at time `now`, or null when it is. */
export function dayProblem(day: string, now: number): string | null {
  const parsed = parseDay(day);
  if (parsed === null) return 'not a calendar date (YYYY-MM-DD)';
  const today = Math.floor(now / DAY_MS);
  if (parsed < today - REPORT_DAYS_LATE || parsed > today + REPORT_DAYS_EARLY) {
    const { from, to } = acceptedDays(now);
    return `outside the accepted days ${from} to ${to}`;
  }
  return null;
}
