import type { MetricDefinition, MetricType } from '../registry/schema.js';

/**
 * What one device-day may contribute to one metric. This is the single home of the bound: the SDK clamps to it,
 * the collector rejects anything beyond it, and the privacy release scales its noise by it. A registry may
 * tighten or widen each bound per metric (`max`, `maxTotal`, `maxSamples`, `maxKeys`); otherwise the defaults
 * below apply, so every summed value has a bound.
 */
export interface ContributionBounds {
  /**
   * counter, quantity: the largest value; labeled_counter: the largest count for one label; crash: the largest
   * count for one signature; distributions and site: the largest sample value (larger samples are clamped).
   */
  value: number;
  /** labeled_counter: the largest sum over all labels. Other types: equal to `value`. */
  total: number;
  /** Distributions: samples per device-day. site: samples per site per device-day. Others: 1. */
  samples: number;
  /** site: distinct sites; crash: distinct signatures; event: events. Others: 1. */
  keys: number;
}

/** Defaults per metric type, chosen to cover one day of heavy real use. */
const DEFAULT_BOUNDS: Record<MetricType, ContributionBounds> = {
  counter: { value: 1_000, total: 1_000, samples: 1, keys: 1 },
  labeled_counter: { value: 500, total: 1_000, samples: 1, keys: 1 },
  boolean: { value: 1, total: 1, samples: 1, keys: 1 },
  enumeration: { value: 1, total: 1, samples: 1, keys: 1 },
  quantity: { value: 1_000_000, total: 1_000_000, samples: 1, keys: 1 },
  // Sample values up to the highest fixed bucket (see metrics/buckets.ts), 2^32 - 1 ms or kB.
  timing_distribution: { value: 2 ** 32 - 1, total: 2 ** 32 - 1, samples: 2_000, keys: 1 },
  memory_distribution: { value: 2 ** 32 - 1, total: 2 ** 32 - 1, samples: 2_000, keys: 1 },
  site: { value: 2 ** 32 - 1, total: 2 ** 32 - 1, samples: 100, keys: 50 },
  event: { value: 1, total: 1, samples: 1, keys: 200 },
  crash: { value: 20, total: 20, samples: 1, keys: 10 },
};

/** The bounds that apply to one metric: its registry overrides on top of its type's defaults. */
export function contributionBounds(def: MetricDefinition): ContributionBounds {
  const base = DEFAULT_BOUNDS[def.type];
  const value = def.max ?? base.value;
  return {
    value,
    total: def.maxTotal ?? (def.type === 'labeled_counter' ? base.total : value),
    samples: def.maxSamples ?? base.samples,
    keys: def.maxKeys ?? base.keys,
  };
}
