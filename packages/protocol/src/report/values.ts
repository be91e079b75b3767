import { z } from 'zod';
import { ActivitySchema, activityProblem } from '../activity/section.js';
import { bucketIndex, bucketLowerBound, MAX_BUCKETED_VALUE } from '../metrics/buckets.js';
import { Prio3ValueSchema } from '../prio3/schema.js';
import { type ContributionBounds, contributionBounds } from '../privacy/contribution.js';
import type { MetricDefinition, Registry } from '../registry/schema.js';
import { registrableDomain } from '../site.js';
import { dayProblem } from './day.js';
import { CrashSchema, type Distribution, DistributionSchema, type Report } from './schema.js';

/** A registrable domain as the SDK produces it: lowercase labels, at least one dot, no port, path or scheme. */
export const SITE_PATTERN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

const siteVerdicts = new Map<string, boolean>();
const MAX_SITE_VERDICTS = 50_000;

/**
 * True when `key` is a site as the SDK sends it: its own registrable domain under the public suffix list.
 * Verdicts are cached (bounded) because the same few thousand sites recur in every upload and a public suffix
 * lookup costs more than the rest of a site value's check.
 */
export function isRegistrableSite(key: string): boolean {
  let verdict = siteVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SITE_PATTERN.test(key) && registrableDomain(`https://${key}/`) === key;
    if (siteVerdicts.size >= MAX_SITE_VERDICTS) siteVerdicts.clear();
    siteVerdicts.set(key, verdict);
  }
  return verdict;
}

const count = z.number().int().nonnegative();

/** The zod schema of one metric's value shape, with its per-value bounds; totals and agreement are checked after. */
export function valueSchemaFor(def: MetricDefinition, bounds: ContributionBounds = contributionBounds(def)): z.ZodType {
  // Its bounds are enforced by the Prio3 proof the aggregators verify together (prio3/spec.ts).
  if (def.prio3) return Prio3ValueSchema;
  switch (def.type) {
    case 'counter':
      return count.max(bounds.value);
    case 'quantity':
      return z.number().nonnegative().max(bounds.value);
    case 'boolean':
      return z.boolean();
    case 'labeled_counter':
      return z.partialRecord(z.enum(def.labels as [string, ...string[]]), count.max(bounds.value));
    case 'enumeration':
      return z.enum(def.values as [string, ...string[]]);
    case 'timing_distribution':
    case 'memory_distribution':
      return DistributionSchema;
    case 'site':
      return z.record(z.string().regex(SITE_PATTERN, 'a registrable domain only'), DistributionSchema);
    case 'crash':
      return z.array(CrashSchema).max(bounds.keys);
    case 'event': {
      const extras: Record<string, z.ZodType> = {};
      for (const [name, extra] of Object.entries(def.extras ?? {})) {
        extras[name] = (
          extra.type === 'enumeration'
            ? z.enum(extra.values as [string, ...string[]])
            : extra.type === 'boolean'
              ? z.boolean()
              : z.number().int().nonnegative().max(extra.max)
        ).optional();
      }
      return z.array(z.strictObject(extras)).max(bounds.keys);
    }
  }
}

export interface ValueIssue {
  /** The metric name, or "(report)" for problems with the report itself. */
  metric: string;
  /** Path inside the metric value, e.g. "buckets.12" or "0.item". */
  field: string;
  message: string;
}

type Issue = { field: string; message: string };
/**
 * What a clean value has to say, shared, and readonly by type only: a frozen array has an elements kind of its own,
 * and the checker's loop over issues, seeing both kinds, ran the whole check about a tenth slower.
 */
const NO_ISSUES: readonly Issue[] = [];

// Sums of float samples are compared with bucket bounds up to rounding: one part in 10^9, plus a micro-unit.
const within = (value: number, low: number, high: number) =>
  value >= low * (1 - 1e-9) - 1e-6 && value <= high * (1 + 1e-9) + 1e-6;

/**
 * A distribution must be one device-day's honest histogram: at most `samples` samples, no bucket above the
 * largest allowed sample, bucket counts adding up to `count`, and `sum` between what the lowest and highest
 * possible samples of those buckets add up to. So sum, count and buckets cannot be moved apart to skew a mean
 * against a percentile, and nothing summed can exceed count * value bound.
 */
function distributionIssues(d: Distribution, bounds: ContributionBounds, prefix: string): readonly Issue[] {
  const tooMany: Issue | null =
    d.count > bounds.samples
      ? { field: `${prefix}count`, message: `at most ${bounds.samples} samples per device-day` }
      : null;
  const largest = Math.min(bounds.value, MAX_BUCKETED_VALUE);
  const highestBucket = bucketIndex(largest);
  let counted = 0;
  let low = 0;
  let high = 0;
  for (const key of Object.keys(d.buckets)) {
    const index = Number(key);
    const n = d.buckets[key] as number;
    if (index > highestBucket) {
      const above = { field: `${prefix}buckets.${key}`, message: `above the largest sample value ${largest}` };
      return tooMany ? [tooMany, above] : [above];
    }
    counted += n;
    low += n * bucketLowerBound(index);
    high += n * Math.min(bucketLowerBound(index + 1), largest);
  }
  const disagreement: Issue | null =
    counted !== d.count
      ? { field: `${prefix}buckets`, message: `bucket counts add up to ${counted}, not count ${d.count}` }
      : !within(d.sum, low, high)
        ? { field: `${prefix}sum`, message: 'sum is outside what samples in these buckets can add up to' }
        : null;
  // No array for a clean distribution: this runs for every distribution of every report.
  if (!tooMany && !disagreement) return NO_ISSUES;
  return [tooMany, disagreement].filter((issue): issue is Issue => issue !== null);
}

/** Checks that need the whole value: totals, key counts, site keys, distribution agreement. */
function boundIssues(def: MetricDefinition, bounds: ContributionBounds, value: unknown): readonly Issue[] {
  if (def.prio3) return [];
  switch (def.type) {
    case 'labeled_counter': {
      const labels = new Set(def.labels);
      let total = 0;
      // Own keys of the value as sent: zod's record output silently drops a "__proto__" key.
      for (const label of Object.keys(value as object)) {
        if (!labels.has(label)) return [{ field: '(key)', message: 'not a label of this metric' }];
        total += (value as Record<string, number>)[label] as number;
      }
      return total > bounds.total ? [{ field: '', message: `labels add up to more than ${bounds.total}` }] : [];
    }
    case 'timing_distribution':
    case 'memory_distribution':
      return distributionIssues(value as Distribution, bounds, '');
    case 'site': {
      const sites = Object.keys(value as object);
      if (sites.length > bounds.keys) return [{ field: '', message: `at most ${bounds.keys} sites per device-day` }];
      for (const site of sites) {
        if (!isRegistrableSite(site)) {
          // The key is not echoed: a full host name may say more than a registrable domain.
          return [{ field: '(key)', message: 'a site must be a registrable domain (eTLD+1) under a public suffix' }];
        }
        const issues = distributionIssues((value as Record<string, Distribution>)[site] as Distribution, bounds, '');
        if (issues.length) return issues.map((i) => ({ ...i, field: `(site).${i.field}` }));
      }
      return [];
    }
    case 'crash': {
      const seen = new Set<string>();
      const crashes = value as { signature: string; count: number }[];
      for (const [i, crash] of crashes.entries()) {
        if (crash.count > bounds.value) return [{ field: `${i}.count`, message: `at most ${bounds.value}` }];
        if (seen.has(crash.signature)) return [{ field: `${i}.signature`, message: 'each signature once' }];
        seen.add(crash.signature);
      }
      return [];
    }
    default:
      return [];
  }
}

/** The activity section's field names (two hold digits): structure too. */
const ACTIVITY_FIELDS = new Set(Object.keys(ActivitySchema.shape));

/** Path segments that are structure (field names, indexes); any other segment is client data and not echoed. */
const STRUCTURAL_SEGMENT = /^(?:\d{1,4}|[a-z][A-Za-z_]{0,31})$/;

/**
 * A zod issue as a field path and message that never echo client data: keys that are data (labels, sites) become
 * "(key)", and messages naming unrecognised keys drop the names.
 */
export function describeIssue(issue: { path: readonly PropertyKey[]; code: string; message: string }): {
  field: string;
  message: string;
} {
  const field = issue.path.map((p) =>
    typeof p === 'string' && !STRUCTURAL_SEGMENT.test(p) && !ACTIVITY_FIELDS.has(p) ? '(key)' : String(p),
  );
  const message =
    issue.code === 'unrecognized_keys'
      ? 'unrecognized key'
      : issue.code === 'invalid_key'
        ? 'not a key of this metric'
        : issue.message;
  return { field: field.join('.'), message };
}

interface MetricCheck {
  def: MetricDefinition;
  bounds: ContributionBounds;
  schema: z.ZodType;
}

export interface ReportCheckerOptions {
  /** The collector's clock (ms since the epoch) for the accepted-day window. Default Date.now. */
  now?: () => number;
}

/**
 * Checks a report against the registry: the day is a real date inside the accepted window (report/day.ts), and
 * every metric value has its registry shape and stays within its contribution bounds (privacy/contribution.ts).
 * An empty array means the report is valid. Metric names are looked up in a Map, never on a plain object, so
 * "constructor" or "__proto__" are just unknown names.
 */
export function createReportChecker(
  registry: Registry,
  options: ReportCheckerOptions = {},
): (report: Report, shapesChecked?: boolean) => ValueIssue[] {
  const now = options.now ?? Date.now;
  const checks = new Map<string, MetricCheck>();
  for (const [name, def] of Object.entries(registry.metrics)) {
    const bounds = contributionBounds(def);
    checks.set(name, { def, bounds, schema: valueSchemaFor(def, bounds) });
  }
  // `shapesChecked`: the caller ran createShapeCheck (report/shape.ts) on the batch, so every value has its shape.
  return (report, shapesChecked = false) => {
    const issues: ValueIssue[] = [];
    if (report.app !== registry.app) {
      issues.push({ metric: '(report)', field: 'app', message: 'unknown app' });
      return issues;
    }
    const day = dayProblem(report.day, now());
    if (day) {
      issues.push({ metric: '(report)', field: 'day', message: day });
      return issues;
    }
    if (report.activity) {
      const inconsistent = activityProblem(report.day, report.activity);
      if (inconsistent) issues.push({ metric: '(report)', ...inconsistent });
    }
    for (const metric of Object.keys(report.metrics)) {
      const check = checks.get(metric);
      if (!check) {
        // Named back to the sender (the firewall has checked it), but never logged: it is not a registry name.
        issues.push({ metric, field: '', message: 'metric is not in the registry' });
        continue;
      }
      const value = report.metrics[metric];
      if (!shapesChecked) {
        const result = check.schema.safeParse(value);
        if (!result.success) {
          for (const issue of result.error.issues) issues.push({ metric, ...describeIssue(issue) });
          continue;
        }
      }
      for (const issue of boundIssues(check.def, check.bounds, value)) issues.push({ metric, ...issue });
    }
    return issues;
  };
}
