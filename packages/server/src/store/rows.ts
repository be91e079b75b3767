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

/**
 * A device-day's histogram on release buckets, weighted to HISTOGRAM_WEIGHT in integers (largest remainder), so
 * it moves a released histogram by at most that much however many samples it holds.
 */
export function weightedHistogram(d: Distribution): Map<number, number> {
  const coarse = new Map<number, number>();
  let total = 0;
  for (const index in d.buckets) {
    const n = d.buckets[index] as number;
    const bucket = releaseBucket(Number(index));
    coarse.set(bucket, (coarse.get(bucket) ?? 0) + n);
    total += n;
  }
  if (total <= 0) return new Map();
  // Most device-days' samples fall in one release bucket: it gets the whole weight.
  if (coarse.size === 1) return new Map([[coarse.keys().next().value as number, HISTOGRAM_WEIGHT]]);
  const parts = [...coarse].map(([bucket, n]) => {
    const exact = (n / total) * HISTOGRAM_WEIGHT;
    return { bucket, whole: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = HISTOGRAM_WEIGHT - parts.reduce((s, p) => s + p.whole, 0);
  parts.sort((a, b) => b.rest - a.rest || a.bucket - b.bucket);
  const out = new Map<number, number>();
  for (const p of parts) {
    const weight = p.whole + (left > 0 ? 1 : 0);
    if (left > 0) left--;
    if (weight > 0) out.set(p.bucket, weight);
  }
  return out;
}

/** One key of one metric in one report, clamped to the metric's contribution bounds. */
interface Contribution {
  key: string;
  detail: string;
  value: number;
  histogram: Map<number, number> | null;
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
  const { day } = report;
  const cellOf = (by: Dimension): string => {
    switch (by) {
      case 'day':
        return day;
      case 'modelFamily':
        return report.system.modelFamily;
      case 'os':
        return report.system.os;
      case 'osMajor':
        return String(report.system.osMajor);
      case 'osVersion':
        return `${report.system.os} ${report.system.osMajor}`;
      case 'language':
        return report.system.language;
      case 'appVersion':
        return report.appVersion;
      default:
        return '';
    }
  };
  const pushHistogram = (metric: string, by: Dimension, cell: string, histogram: Map<number, number>) => {
    for (const [bucket, weight] of histogram) push(metric, by, cell, '', bucket, weight);
  };

  for (const by of groupings.get(DAILY_ACTIVITY_METRIC) ?? []) push(DAILY_ACTIVITY_METRIC, by, cellOf(by), '', -1, 1);
  for (const [metric, cell] of Object.entries(activityCellsOf(report))) {
    for (const by of groupings.get(metric) ?? []) push(metric, by, cell, '', -1, 1);
  }
  for (const [metric, value] of Object.entries(report.metrics)) {
    const def = registry.metrics[metric];
    const metricGroupings = groupings.get(metric);
    // Secret-shared values are the aggregators' (prio3/): no plain row can be made of them.
    if (!def || !metricGroupings || def.prio3) continue;
    const parts = contributions(def, value);
    if (parts.length === 0) continue;
    const key = keyDimension(def.type);
    for (const by of metricGroupings) {
      if (by === key) {
        for (const part of parts) {
          push(metric, by, part.key, part.detail, -1, part.value);
          if (part.histogram) pushHistogram(metric, by, part.key, part.histogram);
        }
        continue;
      }
      // Any other grouping: the device-day's whole contribution to the metric in one cell.
      const cell = cellOf(by);
      push(
        metric,
        by,
        cell,
        '',
        -1,
        parts.reduce((s, p) => s + p.value, 0),
      );
      if (parts.length === 1) {
        const histogram = (parts[0] as Contribution).histogram;
        if (histogram) pushHistogram(metric, by, cell, histogram);
        continue;
      }
      const merged = new Map<number, number>();
      for (const part of parts) for (const [b, w] of part.histogram ?? []) merged.set(b, (merged.get(b) ?? 0) + w);
      pushHistogram(metric, by, cell, merged);
    }
  }
}
