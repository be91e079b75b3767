import { z } from 'zod';
import { dimensionsFor } from '../privacy/facts.js';
import { DIMENSIONS } from '../query/types.js';

/** Every kind of metric candor can record. Each maps to one value shape in `report/schema.ts`. */
export const METRIC_TYPES = [
  'counter',
  'labeled_counter',
  'boolean',
  'quantity',
  'timing_distribution',
  'memory_distribution',
  'enumeration',
  'site',
  'event',
  'crash',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** What the statistics are about; the dashboard groups views by it. */
export const CATEGORIES = ['page-load', 'search', 'settings', 'ui', 'crash', 'memory', 'system', 'media'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Data-review sensitivity, after Firefox's data collection categories. */
export const SENSITIVITIES = ['technical', 'interaction', 'web-activity'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

const metricName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, 'metric names are "group.name" in snake_case');
const closedValue = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'closed values are short lowercase tokens');

/** An event extra: only closed types, so no free text can ride along. */
export const EventExtraSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('enumeration'), values: z.array(closedValue).min(1) }),
  z.object({ type: z.literal('boolean') }),
  z.object({ type: z.literal('quantity'), max: z.number().int().positive() }),
]);
export type EventExtra = z.infer<typeof EventExtraSchema>;

/** A metric's daily release: the groupings released and its weight in the budget split. */
export const ReleaseRuleSchema = z.strictObject({
  by: z.array(z.enum(DIMENSIONS)).min(1).optional(),
  weight: z.number().positive().optional(),
});
export type ReleaseRule = z.infer<typeof ReleaseRuleSchema>;

export const MetricDefinitionSchema = z
  .object({
    type: z.enum(METRIC_TYPES),
    description: z.string().min(10),
    category: z.enum(CATEGORIES),
    /** Data review: who answers for it, why it exists, how sensitive it is, when it stops. */
    owner: z.string().min(1),
    purpose: z.string().min(10),
    sensitivity: z.enum(SENSITIVITIES),
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$|^never$/),
    unit: z.enum(['ms', 'kilobytes', 'count', 'pixels', 'percent']).optional(),
    /** labeled_counter: the closed list of labels. */
    labels: z.array(closedValue).min(1).optional(),
    /** enumeration: the closed list of values. */
    values: z.array(closedValue).min(2).optional(),
    /** event: declared extras. */
    extras: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), EventExtraSchema).optional(),
    /**
     * Contribution bounds for one device-day (defaults per type in privacy/contribution.ts). `max`: the largest
     * value (counter, quantity), count per label (labeled_counter), count per signature (crash), or sample value
     * (distributions, site); larger values are clamped by the SDK and refused by the collector.
     */
    max: z.number().positive().optional(),
    /** labeled_counter: the largest sum over all labels in one device-day. */
    maxTotal: z.number().int().positive().optional(),
    /** Distributions: samples per device-day; site: samples per site per device-day. */
    maxSamples: z.number().int().positive().optional(),
    /** site: distinct sites; crash: distinct signatures; event: events; per device-day. */
    maxKeys: z.number().int().positive().optional(),
    /**
     * How the metric is released each day (privacy/plan.ts): the groupings (default: by day, or by key) and its
     * weight in the split of each device-day's privacy budget (default 1).
     */
    release: ReleaseRuleSchema.optional(),
    /** Local differential privacy (randomized response) for boolean and enumeration metrics. */
    ldp: z.object({ epsilon: z.number().positive().max(10) }).optional(),
  })
  .superRefine((m, ctx) => {
    const need = (cond: boolean, message: string) => cond || ctx.addIssue({ code: 'custom', message });
    need(m.type !== 'labeled_counter' || !!m.labels, 'labeled_counter needs labels');
    need(m.type !== 'enumeration' || !!m.values, 'enumeration needs values');
    need(m.type !== 'event' || !!m.extras, 'event needs extras (use {} for none)');
    need(!m.ldp || m.type === 'boolean' || m.type === 'enumeration', 'ldp applies to boolean and enumeration only');
    const allowed = dimensionsFor(m as MetricDefinition);
    for (const by of m.release?.by ?? []) need(allowed.includes(by), `a ${m.type} cannot be released by "${by}"`);
  });
export type MetricDefinition = z.infer<typeof MetricDefinitionSchema>;

export const RegistrySchema = z.object({
  /** The app this registry describes; reports name it so one collector can serve several apps. */
  app: closedValue,
  /** Bumped whenever a metric is added, changed or removed. */
  version: z.string().regex(/^\d{4}\.\d{1,2}\.\d+$/),
  metrics: z.record(metricName, MetricDefinitionSchema),
  /** How active device-days are released (default: by day and every device dimension, weight 3). */
  deviceDays: ReleaseRuleSchema.optional(),
  /**
   * How the activity figures are released (privacy/plan.ts): their total weight in the budget split, shared by
   * the four `$activity_*` metrics in fixed proportions (default 3, like device-days).
   */
  activity: z.strictObject({ weight: z.number().positive() }).optional(),
});
export type Registry = z.infer<typeof RegistrySchema>;

/** Parses and checks a registry, throwing a readable error naming the bad metric and field. */
export function defineRegistry<const R extends Registry>(registry: R): R {
  const parsed = RegistrySchema.safeParse(registry);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(registry)'}: ${i.message}`);
    throw new Error(`invalid metric registry "${registry.app}":\n${lines.join('\n')}`);
  }
  return registry;
}
