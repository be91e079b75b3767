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

/** A histogram on release buckets, flat: bucket, weight, bucket, weight, ... (no Map per device-day). */
export type Weights = number[];

/**
 * A device-day's histogram on release buckets, weighted to HISTOGRAM_WEIGHT in integers (largest remainder), so
 * it moves a released histogram by at most that much however many samples it holds.
 */
export function weightedHistogram(d: Distribution): Weights {
  // Flat arrays and linear search, not a Map per call: a distribution holds a handful of buckets, and this runs
  // for every distribution of every report (the largest part of flattening, measured for `candor bench collector`).
  const buckets = d.buckets;
  const indices = Object.keys(buckets);
  const coarse: number[] = [];
  let total = 0;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as string;
    const n = buckets[index] as number;
    const bucket = releaseBucket(Number(index));
    total += n;
    let j = 0;
    while (j < coarse.length && coarse[j] !== bucket) j += 2;
    if (j < coarse.length) coarse[j + 1] = (coarse[j + 1] as number) + n;
    else coarse.push(bucket, n);
  }
  if (total <= 0) return [];
  // Most device-days' samples fall in one release bucket: it gets the whole weight.
  if (coarse.length === 2) return [coarse[0] as number, HISTOGRAM_WEIGHT];
  // Largest remainder: each bucket gets the whole part of its share; the units left over go one each to the
  // largest remainders (ties to the lower bucket). Fewer units are left than there are buckets.
  const weights: Weights = [];
  const rests: number[] = [];
  let left = HISTOGRAM_WEIGHT;
  for (let j = 0; j < coarse.length; j += 2) {
    const exact = ((coarse[j + 1] as number) / total) * HISTOGRAM_WEIGHT;
    const whole = Math.floor(exact);
    weights.push(coarse[j] as number, whole);
    rests.push(exact - whole);
    left -= whole;
  }
  for (; left > 0; left--) {
    let best = -1;
    for (let k = 0; k < rests.length; k++) {
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
  const out: Weights = [];
  for (let j = 0; j < weights.length; j += 2)
    if ((weights[j + 1] as number) > 0) out.push(weights[j] as number, weights[j + 1] as number);
  return out;
}

/** One key of one metric in one report, clamped to the metric's contribution bounds. */
interface Contribution {
  key: string;
  detail: string;
  value: number;
  histogram: Weights | null;
}

/**
 * A metric's value as keyed contributions, clamped to its contribution bounds (privacy/contribution.ts). Ingest
 * refuses values over the bounds; clamping here as well means no stored row can exceed them whatever reaches
 * the store.
 */
const boundsCache = new WeakMap<MetricDefinition, ContributionBounds>();

function boundsOf(def: MetricDefinition): ContributionBounds {
  let bounds = boundsCache.get(def);
  if (!bounds) {
    bounds = contributionBounds(def);
    boundsCache.set(def, bounds);
  }
  return bounds;
}

function contributions(def: MetricDefinition, value: unknown): Contribution[] {
  const bounds = boundsOf(def);
  const plain = (key: string, v: number, detail = ''): Contribution => ({ key, detail, value: v, histogram: null });
  const clamp = (v: number) => Math.min(Math.max(0, Math.round(Number(v) || 0)), Math.floor(bounds.value));
  switch (def.type) {
    case 'counter':
    case 'quantity':
      return [plain('', clamp(value as number))];
    case 'boolean':
      return [plain(String(value), 1)];
    case 'enumeration':
      return [plain(String(value), 1)];
    case 'labeled_counter': {
      let left = bounds.total;
      const out: Contribution[] = [];
      for (const label of Object.keys(value as Record<string, number>).sort()) {
        const n = Math.min(clamp((value as Record<string, number>)[label] ?? 0), left);
        left -= n;
        out.push(plain(label, n));
      }
      return out;
    }
    case 'timing_distribution':
    case 'memory_distribution':
      return [{ key: '', detail: '', value: 0, histogram: weightedHistogram(value as Distribution) }];
    case 'site':
      return Object.entries(value as Record<string, Distribution>)
        .slice(0, bounds.keys)
        .map(([site, d]) => ({ key: site, detail: '', value: 0, histogram: weightedHistogram(d) }));
    case 'crash':
      return (value as { type: string; signature: string; count: number }[])
        .slice(0, bounds.keys)
        .map((c) => plain(c.signature, clamp(c.count), c.type));
    case 'event': {
      // One contribution per distinct extras combination, valued by how often it happened that day.
      const counts = new Map<string, number>();
      for (const e of (value as EventRecord[]).slice(0, bounds.keys)) {
        const key = Object.keys(e)
          .sort()
          .map((k) => `${k}=${e[k]}`)
          .join(',');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, n]) => plain(key, n));
    }
  }
}

/**
 * The one cell of each `$activity_*` metric a device-day lands in. Ingest refuses inconsistent sections; a section
 * that reaches the store anyway is filed as unknown, so a row never holds a value outside the released domain.
 */
function activityCellsOf(report: Report): Record<string, string> {
  const consistent = !report.activity || !activityProblem(report.day, report.activity);
  const cells: Record<string, string> = activityCells(consistent ? report : { day: report.day });
  for (const [metric, cell] of Object.entries(cells)) {
    const domain = ACTIVITY_DEFINITIONS[metric as keyof typeof ACTIVITY_DEFINITIONS].values ?? [];
    if (!domain.includes(cell)) cells[metric] = ACTIVITY_UNKNOWN;
  }
  return cells;
}

/** Receives one row of a report's day and app (see `writeRows`). */
export type RowWriter = (
  metric: string,
  by: Dimension,
  cell: string,
  detail: string,
  bucket: number,
  value: number,
) => void;

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
 * object: ingest threads pack them straight into typed arrays (store/packed.ts).
 */
export function writeRows(report: Report, registry: Registry, push: RowWriter): void {
  const groupings = groupingsOf(registry);
  const { day, system } = report;
  const osMajor = String(system.osMajor);
  let osVersion: string | undefined;
  const cellOf = (by: Dimension): string => {
    switch (by) {
      case 'day':
        return day;
      case 'modelFamily':
        return system.modelFamily;
      case 'os':
        return system.os;
      case 'osMajor':
        return osMajor;
      case 'osVersion':
        osVersion ??= `${system.os} ${osMajor}`;
        return osVersion;
      case 'language':
        return system.language;
      case 'appVersion':
        return report.appVersion;
      default:
        return '';
    }
  };
  const pushWeights = (metric: string, by: Dimension, cell: string, weights: Weights) => {
    for (let i = 0; i < weights.length; i += 2)
      push(metric, by, cell, '', weights[i] as number, weights[i + 1] as number);
  };

  for (const by of groupings.get(DAILY_ACTIVITY_METRIC) ?? []) push(DAILY_ACTIVITY_METRIC, by, cellOf(by), '', -1, 1);
  for (const [metric, cell] of Object.entries(activityCellsOf(report))) {
    for (const by of groupings.get(metric) ?? []) push(metric, by, cell, '', -1, 1);
  }
  const metrics = report.metrics;
  for (const metric of Object.keys(metrics)) {
    const def = registry.metrics[metric];
    const metricGroupings = groupings.get(metric);
    // Secret-shared values are the aggregators' (prio3/): no plain row can be made of them.
    if (!def || !metricGroupings || def.prio3) continue;
    const parts = contributions(def, metrics[metric]);
    if (parts.length === 0) continue;
    const key = keyDimension(def.type);
    // The device-day's whole contribution to the metric, the same in every grouping but its key: made once.
    let total = -1;
    let whole: Weights | null = null;
    for (const by of metricGroupings) {
      if (by === key) {
        for (const part of parts) {
          push(metric, by, part.key, part.detail, -1, part.value);
          if (part.histogram) pushWeights(metric, by, part.key, part.histogram);
        }
        continue;
      }
      if (total < 0) {
        total = parts.reduce((s, p) => s + p.value, 0);
        whole = parts.length === 1 ? (parts[0] as Contribution).histogram : mergedWeights(parts);
      }
      const cell = cellOf(by);
      push(metric, by, cell, '', -1, total);
      if (whole) pushWeights(metric, by, cell, whole);
    }
  }
}

/** The parts' histograms summed per bucket, in the order buckets first appear. */
function mergedWeights(parts: readonly Contribution[]): Weights {
  const merged = new Map<number, number>();
  for (const part of parts) {
    const h = part.histogram;
    if (!h) continue;
    for (let i = 0; i < h.length; i += 2) {
      const bucket = h[i] as number;
      merged.set(bucket, (merged.get(bucket) ?? 0) + (h[i + 1] as number));
    }
  }
  const out: Weights = [];
  for (const [bucket, weight] of merged) out.push(bucket, weight);
  return out;
}
