import { z } from 'zod';

/**
 * The activity API (GET /v1/activity, bearer token): active devices, stickiness and retention, every figure
 * derived from released cells only (`$daily_activity` and the `$activity_*` metrics, activity/metrics.ts), each
 * with a 95% interval from the releases' known noise.
 *
 *   GET /v1/activity?from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * A figure is null while any released day it needs is missing (the window reaches before the first release, or
 * past the last released day).
 */

/** A derived figure and its interval (about 95%: the normal approximation of the summed noise variances). */
export const EstimateSchema = z.strictObject({
  value: z.number(),
  low: z.number(),
  high: z.number(),
});
export type Estimate = z.infer<typeof EstimateSchema>;

export const ActivityDaySchema = z.strictObject({
  day: z.string(),
  /** Active devices on the day: its released device-days. */
  dau: EstimateSchema.nullable(),
  /** Active devices in the 7 days ending with the day. */
  wau: EstimateSchema.nullable(),
  /** Active devices in the 28 days ending with the day. */
  mau: EstimateSchema.nullable(),
  /** DAU / MAU. */
  stickiness: EstimateSchema.nullable(),
});
export type ActivityDay = z.infer<typeof ActivityDaySchema>;

/** Of the device-days in the range that carried an activity section: the share with each number of days of use. */
export const ActiveDaysShareSchema = z.strictObject({
  days: z.number().int(),
  share: EstimateSchema,
});
export type ActiveDaysShare = z.infer<typeof ActiveDaysShareSchema>;

export const ActivityStickinessSchema = z.strictObject({
  /** DAU over MAU for the range: summed over its days where both are known, so no one noisy day decides it. */
  dauOverMau: EstimateSchema.nullable(),
  /** Days of use in the last 7 (1..7), among devices active on the range's days (device-days). */
  activeDays7: z.array(ActiveDaysShareSchema),
  /** Days of use in the last 28 (1..28), the same way. */
  activeDays28: z.array(ActiveDaysShareSchema),
});
export type ActivityStickiness = z.infer<typeof ActivityStickinessSchema>;

export const RetainedWeekSchema = z.strictObject({
  /** Weeks after the cohort's first week (1..12). */
  week: z.number().int(),
  /** Share of the cohort in use during that week; null until that whole week is released. */
  share: EstimateSchema.nullable(),
});
export type RetainedWeek = z.infer<typeof RetainedWeekSchema>;

export const ActivityCohortSchema = z.strictObject({
  /** Monday (UTC) of the cohort's week of first use. */
  week: z.string(),
  /** Devices first used that week. */
  size: EstimateSchema,
  retained: z.array(RetainedWeekSchema),
});
export type ActivityCohort = z.infer<typeof ActivityCohortSchema>;

export const ActivityResultSchema = z.strictObject({
  app: z.string(),
  from: z.string(),
  to: z.string(),
  /** The last released day; later days have no figures yet. */
  releasedThrough: z.string(),
  days: z.array(ActivityDaySchema),
  stickiness: ActivityStickinessSchema,
  /** One per UTC week whose Monday is in the range and whose seven days are released, oldest first. */
  cohorts: z.array(ActivityCohortSchema),
  /** Share of the range's device-days whose report carried an activity section (older SDKs send none). */
  coverage: EstimateSchema.nullable(),
  privacy: z.strictObject({
    epsilon: z.number(),
    delta: z.number(),
    /** What each release behind these figures spends of a device-day's epsilon. */
    releases: z.array(z.strictObject({ metric: z.string(), epsilon: z.number() })),
    confidence: z.number(),
  }),
});
export type ActivityResult = z.infer<typeof ActivityResultSchema>;

/** Weeks after the first week for which retention is given. */
export const RETENTION_WEEKS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const;
