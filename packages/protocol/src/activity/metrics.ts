import type { MetricDefinition } from '../registry/schema.js';
import type { Report } from '../report/schema.js';
import { ACTIVITY_WINDOW_DAYS, type Activity, isFirstOfWeek, MAX_WEEKS_SINCE_FIRST_USE } from './section.js';

/**
 * The built-in metrics an `activity` section is released as. Each is an enumeration with a closed domain released
 * in full by value (every value noised, present or not), and each device-day lands in exactly one value of each:
 * a report without the section (an older SDK) in `unknown`. So one device-day moves each by one count in one cell,
 * like `$daily_activity`, and each spends its own share of the device-day budget (privacy/plan.ts).
 */
export const ACTIVITY_METRICS = {
  sincePrevious: '$activity_since_previous',
  activeDays7: '$activity_days_7',
  activeDays28: '$activity_days_28',
  /** On a device's first day of use in a UTC week: its weeks since first use; on other days `later`. */
  cohortWeek: '$activity_cohort_week',
} as const;
export type ActivityMetric = (typeof ACTIVITY_METRICS)[keyof typeof ACTIVITY_METRICS];

/** The cell of a device-day whose report has no activity section. */
export const ACTIVITY_UNKNOWN = 'unknown';
/** `sincePrevious` 0: no day of use in the 28 days before (or the first day of use ever). */
export const ACTIVITY_NONE = 'none';
/** `$activity_cohort_week` for a day that is not the device's first day of use in its week. */
export const ACTIVITY_LATER = 'later';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/** Budget weights (privacy/plan.ts). WAU and MAU sum hundreds of since-previous cells, so it gets the most. */
export const DEFAULT_ACTIVITY_WEIGHTS: Record<ActivityMetric, number> = {
  [ACTIVITY_METRICS.sincePrevious]: 1.5,
  [ACTIVITY_METRICS.cohortWeek]: 1,
  [ACTIVITY_METRICS.activeDays7]: 0.25,
  [ACTIVITY_METRICS.activeDays28]: 0.25,
};

const definition = (description: string, purpose: string, values: string[]): MetricDefinition => ({
  type: 'enumeration',
  description,
  category: 'system',
  owner: 'candor',
  purpose,
  sensitivity: 'interaction',
  expires: 'never',
  unit: 'count',
  values,
});

export const ACTIVITY_DEFINITIONS: Record<ActivityMetric, MetricDefinition> = {
  [ACTIVITY_METRICS.sincePrevious]: definition(
    "Days since the device's previous day of use (none: not in the 28 days before).",
    'Weekly and monthly active devices without any identifier: each device counts on its first day in a window.',
    [ACTIVITY_NONE, ...range(1, ACTIVITY_WINDOW_DAYS), ACTIVITY_UNKNOWN],
  ),
  [ACTIVITY_METRICS.activeDays7]: definition(
    'Days of use in the 7 days ending with the reported day.',
    'Stickiness: how many days a week the app is used.',
    [...range(1, 7), ACTIVITY_UNKNOWN],
  ),
  [ACTIVITY_METRICS.activeDays28]: definition(
    'Days of use in the 28 days ending with the reported day.',
    'Stickiness: how many days a month the app is used.',
    [...range(1, ACTIVITY_WINDOW_DAYS), ACTIVITY_UNKNOWN],
  ),
  [ACTIVITY_METRICS.cohortWeek]: definition(
    "On the device's first day of use in a UTC week: whole weeks since its week of first use (13: 13 or more).",
    'Retention by first-use cohort: the share of a week’s new devices in use 1, 2, 4 and 8 weeks later.',
    [...range(0, MAX_WEEKS_SINCE_FIRST_USE), ACTIVITY_LATER, ACTIVITY_UNKNOWN],
  ),
};

/** The one cell of each activity metric a device-day's report lands in. */
export function activityCells(report: Pick<Report, 'day'> & { activity?: Activity }): Record<ActivityMetric, string> {
  const a = report.activity;
  if (!a) {
    return {
      [ACTIVITY_METRICS.sincePrevious]: ACTIVITY_UNKNOWN,
      [ACTIVITY_METRICS.activeDays7]: ACTIVITY_UNKNOWN,
      [ACTIVITY_METRICS.activeDays28]: ACTIVITY_UNKNOWN,
      [ACTIVITY_METRICS.cohortWeek]: ACTIVITY_UNKNOWN,
    };
  }
  return {
    [ACTIVITY_METRICS.sincePrevious]: a.sincePrevious === 0 ? ACTIVITY_NONE : String(a.sincePrevious),
    [ACTIVITY_METRICS.activeDays7]: String(a.activeDays7),
    [ACTIVITY_METRICS.activeDays28]: String(a.activeDays28),
    [ACTIVITY_METRICS.cohortWeek]: isFirstOfWeek(report.day, a) ? String(a.weeksSinceFirstUse) : ACTIVITY_LATER,
  };
}
