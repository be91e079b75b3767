import { RELEASE_BUCKET_COUNT, releaseBucket } from '../metrics/release-buckets.js';
import type { MetricDefinition, MetricType } from '../registry/schema.js';
import type { Distribution } from '../report/schema.js';

/**
 * Metrics a registry may mark `prio3: true`: the device sends its day's value as two Prio3 secret shares, one
 * for each aggregator (docs/privacy.md). Each type maps to the Prio3 circuit whose proof enforces its
 * contribution bound, so a share that would move a released figure by more than the bound fails verification.
 */
export const PRIO3_TYPES: readonly MetricType[] = [
  'counter',
  'labeled_counter',
  'boolean',
  'enumeration',
  'timing_distribution',
  'memory_distribution',
];

/** The Prio3 instance of one metric (VDAF draft 08, two shares). */
export type Prio3Kind =
  | { type: 'count' }
  | { type: 'sum'; bits: number }
  /** One-hot over `length` cells: exactly one of them is 1. */
  | { type: 'histogram'; length: number }
  /** `length` counts of `bits` bits each. */
  | { type: 'sumvec'; length: number; bits: number };

/** The circuit in words, as the privacy panel and docs name it. */
export function prio3Circuit(kind: Prio3Kind): string {
  if (kind.type === 'count') return 'Prio3Count';
  if (kind.type === 'sum') return `Prio3Sum (${kind.bits} bits)`;
  if (kind.type === 'sumvec') return `Prio3SumVec (${kind.length} x ${kind.bits} bits)`;
  return `Prio3Histogram (${kind.length} cells)`;
}

/** Domain of a boolean's histogram, in cell order. */
const BOOLEAN_CELLS = ['true', 'false'] as const;

/** Bits of a secret-shared counter: its bound is 2^bits - 1, the largest value the range proof admits. */
export function prio3Bits(max: number): number | null {
  const bits = Math.log2(max + 1);
  return Number.isInteger(bits) && bits >= 1 && bits <= 32 ? bits : null;
}

/**
 * The Prio3 circuit for a metric: a counter with bound 1 is a Count, any other counter a Sum over the bits of
 * its bound; a boolean or enumeration is a Histogram over its closed values; a distribution is a Histogram over
 * the release buckets (the device sends one bucket, drawn from its day's samples; see prio3Measurement).
 */
export function prio3Kind(def: MetricDefinition): Prio3Kind {
  switch (def.type) {
    case 'counter': {
      // A secret-shared counter always states its max (registry/schema.ts): the default is not 2^k - 1.
      const max = def.max ?? 0;
      if (max === 1) return { type: 'count' };
      const bits = prio3Bits(max);
      if (bits === null) throw new Error(`a secret-shared counter needs max = 2^k - 1, got ${max}`);
      return { type: 'sum', bits };
    }
    case 'labeled_counter': {
      const bits = prio3Bits(def.max ?? 0);
      if (bits === null) throw new Error(`a secret-shared labeled_counter needs max = 2^k - 1, got ${def.max}`);
      return { type: 'sumvec', length: def.labels?.length ?? 0, bits };
    }
    case 'boolean':
      return { type: 'histogram', length: BOOLEAN_CELLS.length };
    case 'enumeration':
      return { type: 'histogram', length: def.values?.length ?? 0 };
    case 'timing_distribution':
    case 'memory_distribution':
      return { type: 'histogram', length: RELEASE_BUCKET_COUNT };
    default:
      throw new Error(`a ${def.type} cannot be secret-shared with Prio3`);
  }
}

/** The released cells of a labeled counter, boolean or enumeration, in the order of the vector's entries. */
export function prio3Cells(def: MetricDefinition): readonly string[] {
  if (def.type === 'labeled_counter') return def.labels ?? [];
  if (def.type === 'boolean') return BOOLEAN_CELLS;
  if (def.type === 'enumeration') return def.values ?? [];
  return [];
}

/**
 * The Prio3 measurement of one device-day's (already clamped) value. A distribution contributes one release
 * bucket drawn in proportion to its samples: an unbiased, one-hot stand-in for the weighted histogram the plain
 * path stores, which the Histogram proof can enforce (a vector of weights could not be bounded in L1).
 * `random` is uniform in [0, 1).
 */
export function prio3Measurement(
  def: MetricDefinition,
  value: unknown,
  random: () => number,
): boolean | number | number[] {
  const kind = prio3Kind(def);
  switch (def.type) {
    case 'counter': {
      const n = Math.max(0, Math.min(def.max ?? 0, Math.round(Number(value) || 0)));
      return kind.type === 'count' ? n > 0 : n;
    }
    case 'labeled_counter': {
      const counts = (value ?? {}) as Record<string, number>;
      return prio3Cells(def).map((label) =>
        Math.max(0, Math.min(def.max ?? 0, Math.round(Number(counts[label]) || 0))),
      );
    }
    case 'boolean':
      return value === true ? 0 : 1;
    case 'enumeration': {
      const index = prio3Cells(def).indexOf(String(value));
      if (index < 0) throw new Error(`"${String(value)}" is not a value of this enumeration`);
      return index;
    }
    case 'timing_distribution':
    case 'memory_distribution': {
      const d = value as Distribution;
      const entries = Object.entries(d.buckets);
      const total = entries.reduce((s, [, n]) => s + n, 0);
      let pick = Math.floor(random() * total);
      for (const [index, n] of entries) {
        if (pick < n) return releaseBucket(Number(index));
        pick -= n;
      }
      return 0;
    }
    default:
      throw new Error(`a ${def.type} cannot be secret-shared with Prio3`);
  }
}

/** What a secret-shared metric's value looks like in a report. */
export interface Prio3Value {
  /** The Prio3 public share (joint randomness parts). */
  public: string;
  /** The leader's input share, in the clear inside the batch that is sealed to the leader. */
  leader: string;
  /** The helper's input share, sealed to the helper's key (an envelope as wire/envelope.ts lays out). */
  helper: string;
}
