import type { Activity } from './section.js';

/**
 * The device's own record of use, kept in its storage only and never sent: the day numbers (days since
 * 1970-01-01, UTC) on which the app was used in the last 28 days, and the Monday of its week of first use. The
 * SDK derives each report's activity section from it. Kept free of zod so the browser bundle stays small.
 */
export interface UsageHistory {
  days: number[];
  /** Day number of the Monday of the week of first use. */
  firstWeek: number;
}

/** 0 for Monday .. 6 for Sunday (day 0, 1970-01-01, was a Thursday), for days from 1970 on. */
export function weekdayIndex(dayNum: number): number {
  return (dayNum + 3) % 7;
}

/**
 * Records a day of use: the activity section of that day's report, and the history to keep after it. Days in the
 * history that are not before `day` (a clock moved back) are dropped. Every day recorded moved `firstWeek` to its
 * own Monday at the latest, so the section describes one real set of days of use (activityProblem holds). Written
 * for size: it is in the SDK's core bundle.
 */
export function recordUse(history: UsageHistory | null, day: number): { activity: Activity; history: UsageHistory } {
  const monday = day - weekdayIndex(day);
  const before = (history?.days ?? []).filter((d) => d < day && d >= day - 28);
  const firstWeek = Math.min(history?.firstWeek ?? monday, monday);
  const within = (n: number) => 1 + before.filter((d) => d > day - n).length;
  return {
    activity: {
      sincePrevious: before.length && day - Math.max(...before),
      activeDays7: within(7),
      activeDays28: within(28),
      weeksSinceFirstUse: Math.min(13, (monday - firstWeek) / 7),
    },
    history: { days: [...before, day], firstWeek },
  };
}
