/**
 * The device-day aggregate: everything one app measured on one UTC day, folded into one value per metric and
 * kept in storage until the day ends, when it becomes that day's one report. Every merge clamps to the
 * metric's per-device-day bounds (protocol privacy/contribution.ts, the one home of those bounds), cumulatively
 * over the whole day, so no number of flushes, tabs or restarts lets a device contribute more than its bound.
 *
 * Merges are pure and synchronous: they run inside one storage transaction (see queue/storage.ts), which is
 * what lets several tabs add to the same day without overwriting each other.
 */
import type { MetricDefinition, Registry } from '@candor/protocol';
import { type ContributionBounds, contributionBounds } from '@candor/protocol/privacy/contribution';
import { randomizeResponse } from '@candor/protocol/privacy/ldp';

export interface DistributionValue {
  sum: number;
  count: number;
  buckets: Record<string, number>;
}
export type EventValue = Record<string, string | number | boolean>;
export interface CrashValue {
  type: string;
  signature: string;
  count: number;
}

export interface DayAggregate {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** Folded values keyed by registry metric name; the shape is set by the metric's type (see mergeMetric). */
  metrics: Record<string, unknown>;
}

/** What one tab recorded since its last merge, all on `day`: recorder values keyed by metric name. */
export interface Delta {
  day: string;
  metrics: Record<string, unknown>;
}

/** Called once for every sample or unit dropped because a day's bound was reached. */
export type OverBound = () => void;

const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function nextDay(day: string): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
}

/** A metric whose registry `expires` day is in the past on `day` is not recorded (as in Glean). */
export function isExpired(def: MetricDefinition, day: string): boolean {
  return def.expires !== 'never' && def.expires < day;
}

/** Folds one delta value into the stored value of the same metric, clamped to the day's bounds. */
export function mergeMetric(def: MetricDefinition, stored: unknown, delta: unknown, over: OverBound): unknown {
  const bounds = contributionBounds(def);
  switch (def.type) {
    case 'counter': {
      const sum = ((stored as number | undefined) ?? 0) + (delta as number);
      if (sum > bounds.value) over();
      return Math.min(sum, bounds.value);
    }
    case 'labeled_counter':
      return mergeLabels(
        { ...(stored as Record<string, number> | undefined) },
        delta as Record<string, number>,
        bounds,
        over,
      );
    case 'boolean':
    case 'enumeration':
      // Current state: the last value set that day.
      return delta;
    case 'quantity':
      if ((delta as number) > bounds.value) over();
      return Math.min(delta as number, bounds.value);
    case 'timing_distribution':
    case 'memory_distribution':
      return mergeDistribution(
        stored as DistributionValue | undefined,
        delta as DistributionValue,
        bounds.samples,
        over,
      );
    case 'site': {
      const sites = { ...(stored as Record<string, DistributionValue> | undefined) };
      let keys = Object.keys(sites).length;
      for (const [site, d] of Object.entries(delta as Record<string, DistributionValue>)) {
        const existing = Object.hasOwn(sites, site) ? sites[site] : undefined;
        if (!existing && keys >= bounds.keys) {
          over();
          continue;
        }
        if (!existing) keys++;
        sites[site] = mergeDistribution(existing, d, bounds.samples, over);
      }
      return sites;
    }
    case 'event': {
      const events = [...((stored as EventValue[] | undefined) ?? [])];
      for (const e of delta as EventValue[]) {
        if (events.length >= bounds.keys) over();
        else events.push(e);
      }
      return events;
    }
    case 'crash': {
      const crashes = [...((stored as CrashValue[] | undefined) ?? [])];
      for (const c of delta as CrashValue[]) {
        const seen = crashes.find((s) => s.signature === c.signature);
        if (!seen && crashes.length >= bounds.keys) {
          over();
          continue;
        }
        const entry = seen ?? { type: c.type, signature: c.signature, count: 0 };
        if (!seen) crashes.push(entry);
        if (entry.count + c.count > bounds.value) over();
        entry.count = Math.min(entry.count + c.count, bounds.value);
      }
      return crashes;
    }
  }
}

function mergeLabels(
  labels: Record<string, number>,
  delta: Record<string, number>,
  bounds: ContributionBounds,
  over: OverBound,
): Record<string, number> {
  let total = 0;
  for (const n of Object.values(labels)) total += n;
  for (const [label, n] of Object.entries(delta)) {
    const current = labels[label] ?? 0;
    const allowed = Math.max(0, Math.min(n, bounds.value - current, bounds.total - total));
    if (allowed < n) over();
    if (allowed > 0) {
      labels[label] = current + allowed;
      total += allowed;
    }
  }
  return labels;
}

/**
 * Adds a delta's samples while the day's sample bound allows. Past it, samples are taken from the lowest
 * buckets up and the sum is scaled by the share of samples kept: single samples no longer exist here.
 */
function mergeDistribution(
  stored: DistributionValue | undefined,
  delta: DistributionValue,
  maxSamples: number,
  over: OverBound,
): DistributionValue {
  const out: DistributionValue = stored
    ? { sum: stored.sum, count: stored.count, buckets: { ...stored.buckets } }
    : { sum: 0, count: 0, buckets: {} };
  const room = maxSamples - out.count;
  if (room <= 0) {
    over();
    return out;
  }
  let taken = 0;
  const indexes = Object.keys(delta.buckets).sort((a, b) => Number(a) - Number(b));
  for (const index of indexes) {
    const n = Math.min(delta.buckets[index] ?? 0, room - taken);
    if (n <= 0) break;
    out.buckets[index] = (out.buckets[index] ?? 0) + n;
    taken += n;
  }
  if (taken < delta.count) over();
  out.count += taken;
  out.sum += taken === delta.count ? delta.sum : (delta.sum * taken) / delta.count;
  return out;
}

/** Folds a delta into the aggregate, metric by metric; metrics not in the registry or expired are skipped. */
export function mergeDelta(aggregate: DayAggregate, delta: Delta, registry: Registry, over: OverBound): void {
  for (const [name, value] of Object.entries(delta.metrics)) {
    const def = Object.hasOwn(registry.metrics, name) ? registry.metrics[name] : undefined;
    if (!def || value === undefined || isExpired(def, aggregate.day)) continue;
    aggregate.metrics[name] = mergeMetric(def, aggregate.metrics[name], value, over);
  }
}

/** Current-state values (boolean, enumeration, quantity) carry over from a closed day into the next one. */
export function currentState(aggregate: DayAggregate, registry: Registry): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(aggregate.metrics)) {
    const type = Object.hasOwn(registry.metrics, name) ? registry.metrics[name]?.type : undefined;
    if (type === 'boolean' || type === 'enumeration' || type === 'quantity') state[name] = value;
  }
  return state;
}

/**
 * The report values of a finished day. Booleans and enumerations with `ldp` in the registry are randomized here,
 * once for the day's one report, so the true value never leaves the device.
 */
export function dailyMetrics(
  aggregate: DayAggregate,
  registry: Registry,
  random: () => number,
): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(aggregate.metrics)) {
    const def = Object.hasOwn(registry.metrics, name) ? registry.metrics[name] : undefined;
    if (!def || value === undefined || isEmpty(def, value)) continue;
    if ((def.type === 'boolean' || def.type === 'enumeration') && def.ldp) {
      const domain = def.type === 'boolean' ? [true, false] : (def.values ?? []);
      metrics[name] = randomizeResponse(
        value as string | boolean,
        domain as (string | boolean)[],
        def.ldp.epsilon,
        random,
      );
    } else {
      metrics[name] = value;
    }
  }
  return metrics;
}

function isEmpty(def: MetricDefinition, value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'number') return value === 0 && def.type === 'counter';
  if (typeof value === 'object' && value !== null) {
    const v = value as Partial<DistributionValue>;
    return typeof v.count === 'number' ? v.count === 0 : Object.keys(value).length === 0;
  }
  return false;
}
