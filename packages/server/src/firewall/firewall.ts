import { detectPersonalData } from '@candor/audit';
import {
  ActivitySchema,
  CrashSchema,
  DistributionSchema,
  OS_NAMES,
  Prio3ValueSchema,
  type Registry,
  ReportBatchSchema,
  ReportSchema,
  SystemInfoSchema,
} from '@candor/protocol';
import { MAX_JSON_DEPTH } from '../check/structure.js';

export interface FirewallHit {
  /** "category/detector", e.g. "contact/email". */
  detector: string;
  /** Every detector that fired on the value, for the counters. */
  detectors: string[];
  metric: string;
  field: string;
}

/** The scan met a container nested deeper than any report (MAX_JSON_DEPTH): a structure problem, not data. */
export interface TooDeep {
  tooDeep: true;
}
const TOO_DEEP: TooDeep = { tooDeep: true };

/** A distribution's bucket key: one to three digits. A char test, not a regex: it runs for every bucket. */
function isBucketKey(key: string): boolean {
  if (key.length === 0 || key.length > 3) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
/**
 * The activity section's field names are the report schema's own words, not data ("activity" is also a field name
 * the detectors read as an Android screen). Any other key there is checked like data, then refused by the schema.
 */
const ACTIVITY_KEYS = new Set(Object.keys(ActivitySchema.shape));
const MAX_CACHE = 100_000;

/** Field names of the report schema: the protocol's own words. */
const SCHEMA_WORDS = [ReportBatchSchema, ReportSchema, SystemInfoSchema, DistributionSchema, CrashSchema].flatMap(
  (schema) => Object.keys(schema.shape),
);

/**
 * The protocol's and the registry's own words: schema field names, metric names, labels, enumeration values,
 * event extras and their values, OS names, the report kind. They are closed vocabulary written by the protocol
 * and whoever runs the collector, never a device's data, so the firewall skips them without building a cache key:
 * they are most strings and keys of an upload, and in `candor bench collector` the walk spent more on cache keys
 * and paths for them than the detectors cost.
 */
function knownWords(registry: Registry): Set<string> {
  const words = new Set<string>([...SCHEMA_WORDS, ...OS_NAMES, 'daily']);
  for (const [name, def] of Object.entries(registry.metrics)) {
    words.add(name);
    for (const word of [...(def.labels ?? []), ...(def.values ?? [])]) words.add(word);
    for (const [extra, spec] of Object.entries(def.extras ?? {})) {
      words.add(extra);
      if (spec.type === 'enumeration') for (const value of spec.values) words.add(value);
    }
  }
  return words;
}

/** `parent.key`, or whichever of them is not empty. */
function joinField(parent: string, key: string): string {
  if (!key) return parent;
  return parent ? `${parent}.${key}` : key;
}

/** Field names kept, at most; past it the table starts over (sites and labels are a device's to choose). */
const MAX_FIELDS = 10_000;

/**
 * The same joined field each time for the same parent and key. A field is the clean cache's key: a string joined
 * afresh for every value was flattened and hashed again for every lookup, where a kept one has its hash already
 * (the walk's largest cost after the detectors, in `candor bench collector`).
 */
class FieldNames {
  private readonly byParent = new Map<string, Map<string, string>>();
  private count = 0;

  of(parent: string, key: string): string {
    let byKey = this.byParent.get(parent);
    if (!byKey) {
      if (this.count >= MAX_FIELDS) this.clear();
      byKey = new Map();
      this.byParent.set(parent, byKey);
    }
    let field = byKey.get(key);
    if (field === undefined) {
      if (this.count >= MAX_FIELDS) this.clear();
      field = joinField(parent, key);
      byKey.set(key, field);
      this.count++;
    }
    return field;
  }

  private clear(): void {
    this.byParent.clear();
    this.count = 0;
  }
}

/**
 * The PII firewall: every string in an upload, and every object key that is data (labels, sites, event extras),
 * passes the detectors `candor audit` uses, before anything is validated, stored or echoed in an error. Metric
 * names found in the registry are skipped (they are the registry's own words); unknown ones are checked too,
 * since they would otherwise be echoed back in the error naming them. A hit rejects the whole upload; hits are
 * counted by detector and the value goes nowhere.
 */
export class PiiFirewall {
  /** Hits per "category/detector" since start. */
  readonly hits = new Map<string, number>();
  // Detectors are pure, and most strings repeat (labels, sites, model families): clean results are cached, per
  // field (a map of sets, so no key string is built per lookup).
  private readonly clean = new Map<string, Set<string>>();
  private cleanCount = 0;
  private readonly words: Set<string>;
  private readonly fields = new FieldNames();

  constructor(private readonly registry: Registry) {
    this.words = knownWords(registry);
  }

  /**
   * Scans a parsed upload ({ v, reports: [...] }); returns the first hit, or null when clean. It is the first walk
   * of an upload, so it also measures depth: a container nested deeper than MAX_JSON_DEPTH (the batch itself is at
   * depth 1) ends the scan with TooDeep before anything recurses further. JSON.parse itself is iterative.
   *
   * `shaped`: the batch passed the shape check (registry/check.ts `createShapeGate`). Every value inside a metric's
   * object is then a count or a distribution, which holds only the schema's words, bucket numbers and numbers, so
   * only the object's own keys (labels, sites) are read: the same strings reach the detectors, in the same order,
   * as in the whole walk, which spent most of its time inside distributions (measured on the bench's uploads).
   * A shaped batch nests 7 deep at most, so no depth goes unmeasured.
   */
  scan(parsed: unknown, shaped = false): FirewallHit | TooDeep | null {
    if (typeof parsed !== 'object' || parsed === null) return null;
    const reports = (parsed as { reports?: unknown }).reports;
    if (!Array.isArray(reports)) return this.walk(parsed, '', '', '(batch)', 1);
    const batch = parsed as Record<string, unknown>;
    for (const name of Object.keys(batch)) {
      if (name === 'reports') continue;
      const hit = this.words.has(name) ? null : this.check(name, '', '(batch)', '(key)');
      if (hit) return hit;
      const inner = this.walk(batch[name], '', name, '(batch)', 2);
      if (inner) return inner;
    }
    // The reports array is at depth 2, a report at 3, its fields' values at 4 and a metric's value at 5.
    for (const report of reports) {
      if (typeof report !== 'object' || report === null) continue;
      // Keys, not entries: a pair array per field and per metric was most of what the scan allocated.
      for (const name of Object.keys(report)) {
        const value = (report as Record<string, unknown>)[name];
        if (name === 'metrics' && typeof value === 'object' && value !== null) {
          const metrics = value as Record<string, unknown>;
          for (const metric of Object.keys(metrics)) {
            const metricValue = metrics[metric];
            if (!Object.hasOwn(this.registry.metrics, metric)) {
              const hit = this.check(metric, 'metrics', '(report)', 'metrics');
              if (hit) return hit;
            }
            // Secret shares are random bytes by design; their shape is all there is to check (prio3/spec.ts).
            if (this.registry.metrics[metric]?.prio3 && Prio3ValueSchema.safeParse(metricValue).success) continue;
            const hit =
              shaped && typeof metricValue === 'object' && metricValue !== null && !Array.isArray(metricValue)
                ? this.keysOf(metricValue as Record<string, unknown>, 'metrics', metric, metric)
                : this.walk(metricValue, 'metrics', metric, metric, 5);
            if (hit) return hit;
          }
        } else {
          const hit = this.walk(value, '', name, '(report)', 4);
          if (hit) return hit;
        }
      }
    }
    return null;
  }

  /**
   * Recursive, and never deeper than MAX_JSON_DEPTH: `depth` is the depth of `value` if it is a container, and a
   * container deeper than that ends the walk. The value's field is `parent.key` (or `parent` when `key` is empty),
   * joined only when something needs it: a distribution's buckets hold nothing to check, and joining their
   * field for every distribution was a good part of the walk.
   */
  private walk(
    value: unknown,
    parent: string,
    key: string,
    metric: string,
    depth: number,
  ): FirewallHit | TooDeep | null {
    if (typeof value !== 'object' || value === null) {
      if (typeof value !== 'string') return null;
      const field = this.fields.of(parent, key);
      return this.check(value, field, metric, field);
    }
    if (depth > MAX_JSON_DEPTH) return TOO_DEEP;
    let field: string | undefined;
    if (Array.isArray(value)) {
      field = this.fields.of(parent, key);
      for (const item of value) {
        const hit = this.walk(item, field, '', metric, depth + 1);
        if (hit) return hit;
      }
      return null;
    }
    for (const name of Object.keys(value)) {
      const inner = (value as Record<string, unknown>)[name];
      if (this.isDataKey(name)) {
        field ??= this.fields.of(parent, key);
        const hit = this.checkKey(name, field, metric);
        if (hit) return hit;
      }
      // Numbers, booleans and null hold nothing to scan.
      if (typeof inner !== 'string' && (typeof inner !== 'object' || inner === null)) continue;
      field ??= this.fields.of(parent, key);
      const hit = this.walk(inner, field, name, metric, depth + 1);
      if (hit) return hit;
    }
    return null;
  }

  /** The keys of an object that are data, checked as `walk` checks them; its values are not read. */
  private keysOf(value: Record<string, unknown>, parent: string, key: string, metric: string): FirewallHit | null {
    let field: string | undefined;
    for (const name of Object.keys(value)) {
      if (!this.isDataKey(name)) continue;
      field ??= this.fields.of(parent, key);
      const hit = this.checkKey(name, field, metric);
      if (hit) return hit;
    }
    return null;
  }

  /** A key that may be data (a label, a site), not a word of the protocol or registries or a bucket number. */
  private isDataKey(name: string): boolean {
    return !this.words.has(name) && !isBucketKey(name);
  }

  /** Checks a data key under `field`; reported as "(key)", since its value must not be echoed. */
  private checkKey(name: string, field: string, metric: string): FirewallHit | null {
    if (field === 'activity' && ACTIVITY_KEYS.has(name)) return null;
    return this.check(name, field, metric, field ? `${field}.(key)` : '(key)');
  }

  /** Counts hits, here or found by a firewall in another thread. */
  count(detectors: readonly string[]): void {
    for (const name of detectors) this.hits.set(name, (this.hits.get(name) ?? 0) + 1);
  }

  private check(value: string, field: string, metric: string, reportedField: string): FirewallHit | null {
    if (this.words.has(value)) return null;
    const cleanInField = this.clean.get(field);
    if (cleanInField?.has(value)) return null;
    const found = detectPersonalData(value, field);
    if (found.length === 0) {
      // Report ids are unique by design; caching them would only evict useful entries.
      if (field !== 'id') {
        if (this.cleanCount >= MAX_CACHE) {
          this.clean.clear();
          this.cleanCount = 0;
        }
        let set = this.clean.get(field);
        if (!set) {
          set = new Set();
          this.clean.set(field, set);
        }
        set.add(value);
        this.cleanCount++;
      }
      return null;
    }
    const first = found[0] as (typeof found)[number];
    const detector = `${first.category}/${first.detector}`;
    const detectors = found.map((d) => `${d.category}/${d.detector}`);
    this.count(detectors);
    return {
      detector,
      detectors,
      metric,
      field: metric === '(report)' ? reportedField : reportedField.replace(`metrics.${metric}`, '').replace(/^\./, ''),
    };
  }
}
