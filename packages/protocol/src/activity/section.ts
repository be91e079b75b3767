import { z } from 'zod';
import { weekdayIndex } from './history.js';

/**
 * The `activity` section of a daily report: four derived, bounded figures about the report's own UTC day, computed
 * on the device from its local history (the days of the last 28 it was used, and the week it was first used).
 * The history itself never leaves the device. Each figure is one small integer in a closed range, so each lands
 * in exactly one cell of a closed domain when the day is released (privacy/activity.ts).
 */

/** How many days of use the device remembers, and the longest window the figures describe. */
export const ACTIVITY_WINDOW_DAYS = 28;
/** `weeksSinceFirstUse` stops here: 13 means "13 weeks or more". */
export const MAX_WEEKS_SINCE_FIRST_USE = 13;

export const ActivitySchema = z.strictObject({
  /** Days since the previous day of use, 1..28; 0 when there was none in the 28 days before (or this is the first). */
  sincePrevious: z.number().int().min(0).max(ACTIVITY_WINDOW_DAYS),
  /** Days of use in the 7 days ending with the report's day (that day included). */
  activeDays7: z.number().int().min(1).max(7),
  /** Days of use in the 28 days ending with the report's day. */
  activeDays28: z.number().int().min(1).max(ACTIVITY_WINDOW_DAYS),
  /** Whole UTC weeks (Monday to Sunday) from the week of first use to the report's week; 13 = 13 or more. */
  weeksSinceFirstUse: z.number().int().min(0).max(MAX_WEEKS_SINCE_FIRST_USE),
});
export type Activity = z.infer<typeof ActivitySchema>;

const DAY_MS = 86_400_000;

/** Days since the epoch of a `YYYY-MM-DD` day (already checked to be one). */
export function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

/** The `YYYY-MM-DD` of a day number. */
export function dayOfNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/**
 * True when the report is its device's first day of use in its UTC week: no earlier day of use since that week's
 * Monday. The collector derives it from `sincePrevious` and the day, so the device sends no flag for it.
 */
export function isFirstOfWeek(day: string, activity: Activity): boolean {
  return activity.sincePrevious === 0 || activity.sincePrevious > weekdayIndex(dayNumber(day));
}

/**
 * What no real device history can produce, for a report of `day`: the figures must describe one set of days of
 * use that contains `day`. Returns the field and why, or null when the section is consistent. A section that
 * passes still moves each released figure by at most one device-day's bound: it is one cell per field.
 */
export function activityProblem(day: string, a: Activity): { field: string; message: string } | null {
  const weekday = weekdayIndex(dayNumber(day));
  const bad = (field: string, message: string) => ({ field: `activity.${field}`, message });
  if (a.activeDays7 > a.activeDays28) return bad('activeDays7', 'more days of use in 7 days than in 28');
  if (a.activeDays28 - a.activeDays7 > ACTIVITY_WINDOW_DAYS - 7) {
    return bad('activeDays28', 'more days of use in the 21 days before the last 7 than there are days');
  }
  const s = a.sincePrevious;
  // Days after the previous day of use were not days of use: at most 1 + (days before it) remain in each window.
  const max7 = s === 0 || s >= 7 ? 1 : 8 - s;
  const max28 = s === 0 ? 1 : ACTIVITY_WINDOW_DAYS + 1 - s;
  const min7 = s >= 1 && s <= 6 ? 2 : 1;
  const min28 = s >= 1 && s <= ACTIVITY_WINDOW_DAYS - 1 ? 2 : 1;
  if (a.activeDays7 > max7 || a.activeDays7 < min7) {
    return bad('activeDays7', `does not agree with sincePrevious ${s} (allowed ${min7}..${max7})`);
  }
  if (a.activeDays28 > max28 || a.activeDays28 < min28) {
    return bad('activeDays28', `does not agree with sincePrevious ${s} (allowed ${min28}..${max28})`);
  }
  if (a.weeksSinceFirstUse < MAX_WEEKS_SINCE_FIRST_USE) {
    // Nothing was used before the first week's Monday.
    const daysSinceFirstMonday = weekday + 7 * a.weeksSinceFirstUse;
    if (s > daysSinceFirstMonday) {
      return bad('sincePrevious', `a day of use before the week of first use (${a.weeksSinceFirstUse} weeks ago)`);
    }
    if (a.activeDays28 > daysSinceFirstMonday + 1) {
      return bad('activeDays28', `more days of use than days since the week of first use`);
    }
  }
  return null;
}
