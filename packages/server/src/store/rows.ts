import {
  ACTIVITY_DEFINITIONS,
  ACTIVITY_UNKNOWN,
  activityCells,
  activityProblem,
  type ContributionBounds,
  contributionBounds,
  DEVICE_DAYS_METRIC,
  type Dimension,
  type Distribution,
  type EventRecord,
  HISTOGRAM_WEIGHT,
  keyDimension,
  type MetricDefinition,
  RELEASE_BUCKET_COUNT,
  type Registry,
  type Report,
  releaseBucket,
  releasePlan,
} from '@candor/protocol';
import type { SampleRow } from './types.js';

/** The metric name active device-days are stored under: every accepted report is one device-day. */
export const DAILY_ACTIVITY_METRIC = DEVICE_DAYS_METRIC;

const groupingsCache = new WeakMap<Registry, Map<string, Dimension[]>>();

/** Which groupings each metric is released by: only those are kept for an open day. */
function groupingsOf(registry: Registry): Map<string, Dimension[]> {
  let groupings = groupingsCache.get(registry);
  if (!groupings) {
    groupings = new Map();
    for (const r of releasePlan(registry).releases) {
      const list = groupings.get(r.metric) ?? [];
      list.push(r.by);
      groupings.set(r.metric, list);
    }
    groupingsCache.set(registry, groupings);
  }
  return groupings;
}

/** A number for each metric and grouping a registry's rows can have: numbered runs, from `first` of the metric. */
export interface RunSlots {
  /** The slot of a metric's first grouping; its other groupings follow in their `groupingsOf` order. */
  first: Map<string, number>;
  count: number;
}

const runSlotsCache = new WeakMap<Registry, RunSlots>();

export function runSlotsOf(registry: Registry): RunSlots {
  let slots = runSlotsCache.get(registry);
  if (!slots) {
    slots = { first: new Map(), count: 0 };
    for (const [metric, list] of groupingsOf(registry)) {
      slots.first.set(metric, slots.count);
      slots.count += list.length;
    }
    runSlotsCache.set(registry, slots);
  }
  return slots;
}

/** A histogram on release buckets, flat: bucket, weight, bucket, weight, ... (no Map per device-day). */
export type Weights = number[];

// Scratch for `weightedHistogram`, reused across calls: it runs for every distribution of every report, and its
// short-lived arrays were a tenth of what ingest threads allocated per upload (sampled in `candor bench collector`).
// Typed, as a plain array emptied by `length = 0` gives up its storage and grows again on every call.
const coarseScratch = new Float64Array(2 * RELEASE_BUCKET_COUNT);
const restScratch = new Float64Array(RELEASE_BUCKET_COUNT);

/**
 * A device-day's histogram on release buckets, weighted to HISTOGRAM_WEIGHT in integers (largest remainder), so
 * it moves a released histogram by at most that much however many samples it holds.
 */
export function weightedHistogram(d: Distribution): Weights {
  // Linear search, not a Map per call: a distribution holds a handful of buckets.
  const buckets = d.buckets;
  const indices = Object.keys(buckets);
  const coarse = coarseScratch;
  let used = 0;
  let total = 0;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as string;
    const n = buckets[index] as number;
    const bucket = releaseBucket(Number(index));
    total += n;
    let j = 0;
    while (j < used && coarse[j] !== bucket) j += 2;
    if (j < used) coarse[j + 1] = (coarse[j + 1] as number) + n;
    else {
      coarse[used] = bucket;
      coarse[used + 1] = n;
      used += 2;
    }
  }
  if (total <= 0) return [];
  // Most device-days' samples fall in one release bucket: it gets the whole weight.
  if (used === 2) return [coarse[0] as number, HISTOGRAM_WEIGHT];
  // Largest remainder: each bucket gets the whole part of its share; the units left over go one each to the
  // largest remainders (ties to the lower bucket). Fewer units are left than there are buckets.
  const weights: Weights = [];
  const rests = restScratch;
  let left = HISTOGRAM_WEIGHT;
  for (let j = 0; j < used; j += 2) {
    const exact = ((coarse[j + 1] as number) / total) * HISTOGRAM_WEIGHT;
    const whole = Math.floor(exact);
    weights.push(coarse[j] as number, whole);
    rests[j / 2] = exact - whole;
    left -= whole;
  }
  for (; left > 0; left--) {
    let best = -1;
    for (let k = 0; k < used / 2; k++) {
      const rest = rests[k] as number;
      if (rest < 0) continue;
      const bestRest = best < 0 ? -1 : (rests[best] as number);
      if (
        best < 0 ||
        rest > bestRest ||
        (rest === bestRest && (weights[2 * k] as number) < (weights[2 * best] as number))
      ) {
        best = k;
      }
    }
    weights[2 * best + 1] = (weights[2 * best + 1] as number) + 1;
    rests[best] = -1;
  }
  let kept = 0;
  for (let j = 0; j < weights.length; j += 2) {
    if ((weights[j + 1] as number) <= 0) continue;
    weights[kept] = weights[j] as number;
    weights[kept + 1] = weights[j + 1] as number;
    kept += 2;
  }
  weights.length = kept;
  return weights;
}

/** What flattening needs of one released metric, worked out once per registry rather than once per report. */
interface MetricPlan {
  def: MetricDefinition;
  /** The groupings the metric is released by. */
  groupings: readonly Dimension[];
  /** The grouping whose cells are the metric's own keys (labels, sites, values), if any. */
  key: Dimension | null;
  bounds: ContributionBounds;
  /** The largest value one device-day may contribute to one key. */
  maxValue: number;
  /** The run slot of the first grouping (see RunSlots). */
  firstSlot: number;
}

const plansCache = new WeakMap<Registry, Map<string, MetricPlan>>();

/** Plans for every metric that makes plain rows: released, and not secret-shared (those are prio3/'s). */
function plansOf(registry: Registry): Map<string, MetricPlan> {
  let plans = plansCache.get(registry);
  if (!plans) {
    plans = new Map();
    const groupings = groupingsOf(registry);
    const slots = runSlotsOf(registry);
    for (const [metric, def] of Object.entries(registry.metrics)) {
      const released = groupings.get(metric);
      if (!released || def.prio3) continue;
      const bounds = contributionBounds(def);
      plans.set(metric, {
        def,
        groupings: released,
        key: keyDimension(def.type),
        bounds,
        maxValue: Math.floor(bounds.value),
        firstSlot: slots.first.get(metric) ?? 0,
      });
    }
    plansCache.set(registry, plans);
  }
  return plans;
}

/**
 * An event's extras as "k=v" pairs sorted by name, joined by commas (protocol facts.ts lists the same shapes). An
 * event has a handful of extras: sorted in place by insertion, since Array.prototype.sort copies its array first.
 */
function eventShape(event: EventRecord): string {
  const names = Object.keys(event);
  for (let i = 1; i < names.length; i++) {
    const name = names[i] as string;
    let j = i - 1;
    for (; j >= 0 && (names[j] as string) > name; j--) names[j + 1] = names[j] as string;
    names[j + 1] = name;
  }
  let shape = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    shape += `${i === 0 ? '' : ','}${name}=${event[name]}`;
  }
  return shape;
}

/** A count clamped to [0, max] in whole units. */
function clampCount(value: unknown, max: number): number {
  return Math.min(Math.max(0, Math.round(Number(value) || 0)), max);
}

/**
 * One metric's keyed contributions in one report, clamped to its contribution bounds (privacy/contribution.ts):
 * parallel arrays, reused from metric to metric of a report, rather than an object per key. Ingest refuses values
 * over the bounds; clamping here as well means no stored row can exceed them whatever reaches the store.
 */
class Contributions {
  readonly keys: string[] = [];
  readonly details: string[] = [];
  readonly values: number[] = [];
  readonly histograms: (Weights | null)[] = [];
  length = 0;

  add(key: string, detail: string, value: number, histogram: Weights | null): void {
    const i = this.length++;
    this.keys[i] = key;
    this.details[i] = detail;
    this.values[i] = value;
    this.histograms[i] = histogram;
  }

  /** Refills with `value`'s contributions to the metric `plan` describes. */
  fill(plan: MetricPlan, value: unknown): void {
    this.length = 0;
    const { def, bounds, maxValue } = plan;
    switch (def.type) {
      case 'counter':
      case 'quantity':
        this.add('', '', clampCount(value, maxValue), null);
        return;
      case 'boolean':
      case 'enumeration':
        this.add(String(value), '', 1, null);
        return;
      case 'labeled_counter': {
        const counts = value as Record<string, number>;
        let left = bounds.total;
        const labels = Object.keys(counts);
        if (labels.length > 1) labels.sort();
        for (const label of labels) {
          const n = Math.min(clampCount(counts[label] ?? 0, maxValue), left);
          left -= n;
          this.add(label, '', n, null);
        }
        return;
      }
      case 'timing_distribution':
      case 'memory_distribution':
        this.add('', '', 0, weightedHistogram(value as Distribution));
        return;
      case 'site': {
        const sites = value as Record<string, Distribution>;
        const names = Object.keys(sites);
        const n = Math.min(names.length, bounds.keys);
        for (let i = 0; i < n; i++) {
          const site = names[i] as string;
          this.add(site, '', 0, weightedHistogram(sites[site] as Distribution));
        }
        return;
      }
      case 'crash': {
        const crashes = value as { type: string; signature: string; count: number }[];
        const n = Math.min(crashes.length, bounds.keys);
        for (let i = 0; i < n; i++) {
          const c = crashes[i] as (typeof crashes)[number];
          this.add(c.signature, c.type, clampCount(c.count, maxValue), null);
        }
        return;
      }
      case 'event': {
        // One contribution per distinct extras combination, valued by how often it happened that day.
        const counts = new Map<string, number>();
        const events = value as EventRecord[];
        const n = Math.min(events.length, bounds.keys);
        for (let i = 0; i < n; i++) {
          const shape = eventShape(events[i] as EventRecord);
          counts.set(shape, (counts.get(shape) ?? 0) + 1);
        }
        for (const [key, n] of counts) this.add(key, '', n, null);
        return;
      }
    }
  }

  /** The summed values of every key. */
  total(): number {
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += this.values[i] as number;
    return sum;
  }

  /** Every key's histogram summed per bucket, in the order buckets first appear; null when there are none. */
  mergedHistogram(): Weights | null {
    if (this.length === 1) return this.histograms[0] as Weights | null;
    let merged: Weights | null = null;
    for (let i = 0; i < this.length; i++) {
      const h = this.histograms[i];
      if (!h) continue;
      merged ??= [];
      for (let k = 0; k < h.length; k += 2) {
        const bucket = h[k] as number;
        let j = 0;
        while (j < merged.length && merged[j] !== bucket) j += 2;
        if (j < merged.length) merged[j + 1] = (merged[j + 1] as number) + (h[k + 1] as number);
        else merged.push(bucket, h[k + 1] as number);
      }
    }
    return merged;
  }
}

/** Reused by every `writeRows` call: nothing it calls can call it again before it returns. */
const contributionScratch = new Contributions();

/**
 * The one cell of each `$activity_*` metric a device-day lands in. Ingest refuses inconsistent sections; a section
 * that reaches the store anyway is filed as unknown, so a row never holds a value outside the released domain.
 */
function activityCellsOf(report: Report): Record<string, string> {
  const consistent = !report.activity || !activityProblem(report.day, report.activity);
  const cells: Record<string, string> = activityCells(consistent ? report : { day: report.day });
  for (const metric of Object.keys(cells)) {
    const domain = ACTIVITY_DEFINITIONS[metric as keyof typeof ACTIVITY_DEFINITIONS].values ?? [];
    if (!domain.includes(cells[metric] as string)) cells[metric] = ACTIVITY_UNKNOWN;
  }
  return cells;
}

/**
 * Receives one row of a report's day and app (see `writeRows`), with the run slot of its metric and grouping
 * (RunSlots), which a writer may key its runs by instead of the two strings.
 */
export type RowWriter = (
  metric: string,
  by: Dimension,
  cell: string,
  detail: string,
  bucket: number,
  value: number,
  slot: number,
) => void;

/** A report's cell in each device grouping (and the day), made once per report. */
class DeviceCells {
  private readonly osMajor: string;
  private osVersion: string | undefined;

  constructor(private readonly report: Report) {
    this.osMajor = String(report.system.osMajor);
  }

  of(by: Dimension): string {
    const { report } = this;
    switch (by) {
      case 'day':
        return report.day;
      case 'modelFamily':
        return report.system.modelFamily;
      case 'os':
        return report.system.os;
      case 'osMajor':
        return this.osMajor;
      case 'osVersion':
        this.osVersion ??= `${report.system.os} ${this.osMajor}`;
        return this.osVersion;
      case 'language':
        return report.system.language;
      case 'appVersion':
        return report.appVersion;
      default:
        return '';
    }
  }
}

function pushWeights(
  push: RowWriter,
  metric: string,
  by: Dimension,
  cell: string,
  weights: Weights,
  slot: number,
): void {
  for (let i = 0; i < weights.length; i += 2)
    push(metric, by, cell, '', weights[i] as number, weights[i + 1] as number, slot);
}

/**
 * Flattens one validated report (one device-day) into the rows its day's release needs, and nothing more: for
 * each metric and each grouping it is released by, one summary row per cell (the day, a key, or one device
 * value) plus its histogram buckets. No row holds two device details, so the stored rows never re-assemble a
 * device's combination of model, OS, language and version; no report id, address or time is kept.
 */
export function flattenReport(report: Report, registry: Registry): SampleRow[] {
  const rows: SampleRow[] = [];
  const { day, app } = report;
  writeRows(report, registry, (metric, by, cell, detail, bucket, value) =>
    rows.push({ day, app, metric, by, cell, detail, bucket, value }),
  );
  return rows;
}

/**
 * `flattenReport`'s rows, each handed to `push` (all of the report's day and app) rather than made into an
 * object: ingest threads pack them straight into typed arrays (store/packed.ts). Runs for every report ingested,
 * so it allocates little: a metric's plan is the registry's, and its contributions reuse one set of arrays.
 */
export function writeRows(report: Report, registry: Registry, push: RowWriter): void {
  const groupings = groupingsOf(registry);
  const plans = plansOf(registry);
  const slots = runSlotsOf(registry).first;
  const cells = new DeviceCells(report);

  const daily = groupings.get(DAILY_ACTIVITY_METRIC) ?? [];
  const dailySlot = slots.get(DAILY_ACTIVITY_METRIC) ?? 0;
  for (let g = 0; g < daily.length; g++) {
    const by = daily[g] as Dimension;
    push(DAILY_ACTIVITY_METRIC, by, cells.of(by), '', -1, 1, dailySlot + g);
  }
  const activity = activityCellsOf(report);
  for (const metric of Object.keys(activity)) {
    const list = groupings.get(metric) ?? [];
    const first = slots.get(metric) ?? 0;
    for (let g = 0; g < list.length; g++)
      push(metric, list[g] as Dimension, activity[metric] as string, '', -1, 1, first + g);
  }
  const metrics = report.metrics;
  const parts = contributionScratch;
  for (const metric of Object.keys(metrics)) {
    const plan = plans.get(metric);
    if (!plan) continue;
    parts.fill(plan, metrics[metric]);
    if (parts.length === 0) continue;
    // The device-day's whole contribution to the metric, the same in every grouping but its key: made once.
    let total = -1;
    let whole: Weights | null = null;
    for (let g = 0; g < plan.groupings.length; g++) {
      const by = plan.groupings[g] as Dimension;
      const slot = plan.firstSlot + g;
      if (by === plan.key) {
        for (let i = 0; i < parts.length; i++) {
          const key = parts.keys[i] as string;
          push(metric, by, key, parts.details[i] as string, -1, parts.values[i] as number, slot);
          const histogram = parts.histograms[i];
          if (histogram) pushWeights(push, metric, by, key, histogram, slot);
        }
        continue;
      }
      if (total < 0) {
        total = parts.total();
        whole = parts.mergedHistogram();
      }
      const cell = cells.of(by);
      push(metric, by, cell, '', -1, total, slot);
      if (whole) pushWeights(push, metric, by, cell, whole, slot);
    }
  }
}
