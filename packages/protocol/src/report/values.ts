import { z } from 'zod';
import type { MetricDefinition, Registry } from '../registry/schema.js';
import {
  CrashSchema,
  DistributionSchema,
  MAX_CRASH_SIGNATURES_PER_METRIC,
  MAX_EVENTS_PER_METRIC,
  MAX_SITES_PER_METRIC,
  type Report,
} from './schema.js';

/** A registrable domain as the SDK produces it: lowercase labels, at least one dot, no port, path or scheme. */
export const SITE_PATTERN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

const count = z.number().int().nonnegative();

/** The zod schema one metric's value must satisfy, derived from its registry definition. */
export function valueSchemaFor(def: MetricDefinition): z.ZodType {
  switch (def.type) {
    case 'counter':
      return def.max ? count.max(def.max) : count;
    case 'quantity':
      return def.max ? z.number().nonnegative().max(def.max) : z.number().nonnegative();
    case 'boolean':
      return z.boolean();
    case 'labeled_counter':
      return z.partialRecord(z.enum(def.labels as [string, ...string[]]), count);
    case 'enumeration':
      return z.enum(def.values as [string, ...string[]]);
    case 'timing_distribution':
    case 'memory_distribution':
      return DistributionSchema;
    case 'site':
      return z
        .record(z.string().regex(SITE_PATTERN, 'a registrable domain only'), DistributionSchema)
        .refine((r) => Object.keys(r).length <= MAX_SITES_PER_METRIC, `at most ${MAX_SITES_PER_METRIC} sites`);
    case 'crash':
      return z.array(CrashSchema).max(MAX_CRASH_SIGNATURES_PER_METRIC);
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
      return z.array(z.strictObject(extras)).max(MAX_EVENTS_PER_METRIC);
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

/** Checks every metric value in a report against the registry; an empty array means the report is valid. */
export function createReportChecker(registry: Registry): (report: Report) => ValueIssue[] {
  const schemas = new Map<string, z.ZodType>();
  for (const [name, def] of Object.entries(registry.metrics)) schemas.set(name, valueSchemaFor(def));
  return (report) => {
    const issues: ValueIssue[] = [];
    if (report.app !== registry.app) {
      issues.push({ metric: '(report)', field: 'app', message: `unknown app "${report.app}"` });
      return issues;
    }
    for (const [metric, value] of Object.entries(report.metrics)) {
      const schema = schemas.get(metric);
      if (!schema) {
        issues.push({ metric, field: '', message: 'metric is not in the registry' });
        continue;
      }
      const result = schema.safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          issues.push({ metric, field: issue.path.join('.'), message: issue.message });
        }
      }
    }
    return issues;
  };
}
