import {
  contributionBounds,
  MetricDefinitionSchema,
  type MetricType,
  type Registry,
  RegistrySchema,
} from '@candor/protocol';

export interface RegistryIssue {
  severity: 'error' | 'warning';
  /** The metric named, or "(registry)" for the file's own fields. */
  metric: string;
  field: string;
  message: string;
}

export function formatIssue(issue: RegistryIssue): string {
  const where = issue.field ? `${issue.metric} ${issue.field}` : issue.metric;
  return `${issue.severity}: ${where}: ${issue.message}`;
}

/** Which bound fields mean something for which types (see @candor/protocol privacy/contribution.ts). */
const BOUND_FIELDS: Record<'max' | 'maxTotal' | 'maxSamples' | 'maxKeys', readonly MetricType[]> = {
  max: ['counter', 'labeled_counter', 'quantity', 'timing_distribution', 'memory_distribution', 'site', 'crash'],
  maxTotal: ['labeled_counter'],
  maxSamples: ['timing_distribution', 'memory_distribution', 'site'],
  maxKeys: ['site', 'crash', 'event'],
};
const WHOLE_COUNTS: readonly MetricType[] = ['counter', 'labeled_counter', 'crash'];
const EXPECTED_UNIT: Partial<Record<MetricType, string>> = {
  timing_distribution: 'ms',
  memory_distribution: 'kilobytes',
};
const TOP_LEVEL_KEYS = new Set([...Object.keys(RegistrySchema.shape), '$schema']);
const METRIC_KEYS = new Set(Object.keys(MetricDefinitionSchema.shape));
const WARN_DAYS = 30;

/** The field a per-type rule of the schema is about (its issues carry no path of their own). */
function ruleField(message: string): string {
  return /\b(labels|values|extras|ldp|prio3|maxTotal|max)\b/.exec(message)?.[1] ?? '';
}

/** "2026-02-30" parses (as 2 March); a real day reads back unchanged. */
function isCalendarDay(day: string): boolean {
  const time = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === day;
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Checks a registry file's content beyond its JSON Schema: the schema itself, unknown fields (typos), the
 * data-review fields, expiry against `today`, contribution bounds, and names. Errors make the collector refuse
 * the file; warnings are advice. Every issue names its metric and field.
 */
export function checkRegistry(raw: unknown, today: string): { registry?: Registry; issues: RegistryIssue[] } {
  const issues: RegistryIssue[] = [];
  const error = (metric: string, field: string, message: string) =>
    issues.push({ severity: 'error', metric, field, message });
  const warn = (metric: string, field: string, message: string) =>
    issues.push({ severity: 'warning', metric, field, message });

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    error('(registry)', '', 'the file must hold an object with app, version and metrics');
    return { issues };
  }
  for (const key of Object.keys(raw)) if (!TOP_LEVEL_KEYS.has(key)) error('(registry)', key, 'unknown field');
  const metricsRaw = (raw as { metrics?: unknown }).metrics;
  if (typeof metricsRaw === 'object' && metricsRaw !== null) {
    for (const [name, def] of Object.entries(metricsRaw)) {
      if (typeof def !== 'object' || def === null) continue;
      for (const key of Object.keys(def)) {
        if (!METRIC_KEYS.has(key)) error(name, key, `unknown field (known: ${[...METRIC_KEYS].join(', ')})`);
      }
    }
  }

  const parsed = RegistrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      if (path[0] === 'metrics' && path.length >= 2) {
        const field = path.slice(2).join('.') || ruleField(issue.message);
        error(
          path[1] as string,
          field,
          // A bad name carries its reason in an inner issue ("group.name" in snake_case).
          issue.code === 'invalid_key'
            ? `bad metric name: ${issue.issues[0]?.message ?? issue.message}`
            : issue.message,
        );
      } else {
        error('(registry)', path.join('.'), issue.message);
      }
    }
    return { issues };
  }
  const registry = parsed.data;

  for (const [name, def] of Object.entries(registry.metrics)) {
    // Data review: the purpose says why, not what; an owner can be reached.
    if (def.purpose.trim().toLowerCase() === def.description.trim().toLowerCase()) {
      error(name, 'purpose', 'repeats the description; say why the metric is needed');
    }
    if (!/@|^[a-z0-9][\w.-]*$/i.test(def.owner.trim())) {
      warn(name, 'owner', 'name an email address or a team handle that answers for this metric');
    }
    // Expiry: an expired metric is refused by the collector and not recorded by the SDK.
    if (def.expires === 'never') {
      warn(name, 'expires', '"never": only for collection a data review approved as permanent');
    } else if (!isCalendarDay(def.expires)) {
      error(name, 'expires', `${def.expires} is not a calendar day`);
    } else if (def.expires < today) {
      error(name, 'expires', `expired on ${def.expires}; remove the metric, or renew it after a data review`);
    } else if (def.expires <= addDays(today, WARN_DAYS)) {
      warn(name, 'expires', `expires on ${def.expires}, within ${WARN_DAYS} days`);
    }
    // Contribution bounds: each field only where it means something, whole numbers where values are counts.
    for (const [field, types] of Object.entries(BOUND_FIELDS) as [keyof typeof BOUND_FIELDS, MetricType[]][]) {
      const value = def[field];
      if (value === undefined) continue;
      if (!types.includes(def.type)) {
        error(name, field, `does not apply to a ${def.type} (it applies to ${types.join(', ')})`);
      }
    }
    if (def.max !== undefined && WHOLE_COUNTS.includes(def.type) && !Number.isInteger(def.max)) {
      error(name, 'max', `a ${def.type} counts whole events; use a whole number`);
    }
    const bounds = contributionBounds(def);
    if (def.type === 'labeled_counter' && bounds.total < bounds.value) {
      warn(name, 'maxTotal', `${bounds.total} is below max (${bounds.value}); max per label can never be reached`);
    }
    // Closed lists: no duplicates, which would split one value's count in two.
    for (const field of ['labels', 'values'] as const) {
      const list = def[field];
      if (!list) continue;
      const seen = new Set<string>();
      for (const item of list) {
        if (seen.has(item)) error(name, field, `"${item}" is listed twice`);
        seen.add(item);
      }
    }
    const unit = EXPECTED_UNIT[def.type];
    if (unit && def.unit && def.unit !== unit) error(name, 'unit', `a ${def.type} is recorded in ${unit}`);
    if (def.type === 'site' && def.sensitivity !== 'web-activity') {
      error(name, 'sensitivity', 'a site metric records web activity: use "web-activity"');
    }
    if (name.length > 64) error(name, '', 'metric names are at most 64 characters');
  }
  return { registry, issues };
}
