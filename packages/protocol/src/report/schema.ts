import { z } from 'zod';
import { ActivitySchema } from '../activity/section.js';
import { MAX_BUCKET_INDEX } from '../metrics/buckets.js';

/** Wire version of the report JSON inside the sealed envelope. */
export const REPORT_VERSION = 1;
export const MAX_REPORTS_PER_BATCH = 50;
/**
 * What the SDK keeps per metric before a report is built. The collector enforces the tighter per-device-day
 * bounds of privacy/contribution.ts instead.
 */
export const MAX_EVENTS_PER_METRIC = 500;
export const MAX_CRASH_SIGNATURES_PER_METRIC = 50;
export const MAX_SITES_PER_METRIC = 200;

/** Coarse OS names: enough to split statistics, not enough to fingerprint. */
export const OS_NAMES = ['android', 'ios', 'windows', 'macos', 'linux', 'chromeos', 'other'] as const;

/** The only things said about the device: model family, OS and its major version, language (not region). */
export const SystemInfoSchema = z.strictObject({
  modelFamily: z.string().regex(/^[a-z0-9][a-z0-9 -]{0,31}$/, 'a short lowercase model family, e.g. "redmi note"'),
  os: z.enum(OS_NAMES),
  osMajor: z.number().int().min(0).max(999),
  language: z.string().regex(/^[a-z]{2,3}$/, 'a language code without region'),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

/** Distribution: merged counts per fixed bucket (see metrics/buckets.ts), keyed by bucket index. */
export const DistributionSchema = z.strictObject({
  sum: z.number().nonnegative(),
  count: z.number().int().positive(),
  buckets: z.record(
    z
      .string()
      // Canonical indexes only: "007" and "7" would be the same bucket twice.
      .regex(/^(?:0|[1-9]\d{0,2})$/)
      .refine((k) => Number(k) <= MAX_BUCKET_INDEX, 'bucket index out of range'),
    z.number().int().positive(),
  ),
});
export type Distribution = z.infer<typeof DistributionSchema>;

export const CrashSchema = z.strictObject({
  /** The error's type name, e.g. "TypeError". Never its message. */
  type: z.string().regex(/^[A-Za-z_$][\w$.]{0,63}$/),
  /** First 16 hex chars of SHA-256 over the app's own normalised stack frames. */
  signature: z.string().regex(/^[0-9a-f]{16}$/),
  count: z.number().int().positive(),
});
export type Crash = z.infer<typeof CrashSchema>;

export type EventRecord = Record<string, string | number | boolean>;

/**
 * One report: everything one app on one device measured over one UTC day, folded on the device and sent once
 * after the day ends, so each metric gets at most one contribution per device-day. The id is fresh random for
 * every report and exists only so the collector can drop a retried duplicate. There is no other id of any kind.
 */
export const ReportSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/, '128 random bits as 32 lowercase hex chars'),
  app: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/),
  appVersion: z.string().regex(/^\d{1,4}\.\d{1,4}$/, 'major.minor only'),
  registry: z.string().regex(/^\d{4}\.\d{1,2}\.\d+$/),
  /** UTC day the values were collected. A day, not a time: times would link reports. Window: report/day.ts. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** `daily`: one device-day. Every report is one active device-day, so daily use is counted without ids. */
  kind: z.literal('daily'),
  system: SystemInfoSchema,
  /** Values keyed by registry metric name; each value's shape is set by the metric's type. */
  metrics: z.record(z.string(), z.unknown()),
  /**
   * Derived figures about this day of use from the device's own history (activity/section.ts); optional, so
   * reports from SDKs that predate it are still accepted (they count as device-days only).
   */
  activity: ActivitySchema.optional(),
});
export type Report = z.infer<typeof ReportSchema>;

export const ReportBatchSchema = z.strictObject({
  v: z.literal(REPORT_VERSION),
  reports: z.array(ReportSchema).min(1).max(MAX_REPORTS_PER_BATCH),
});
export type ReportBatch = z.infer<typeof ReportBatchSchema>;
