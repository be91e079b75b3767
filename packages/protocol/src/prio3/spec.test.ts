import { describe, expect, it } from 'vitest';
import { RELEASE_BUCKET_COUNT } from '../metrics/release-buckets.js';
import { defineRegistry, type MetricDefinition } from '../registry/schema.js';
import { prio3Kind, prio3Measurement } from './spec.js';

const base = {
  description: 'A metric for the test.',
  category: 'ui',
  owner: 'test',
  purpose: 'Checking the Prio3 rules.',
  sensitivity: 'technical',
  expires: 'never',
  prio3: true,
} as const;

const registryWith = (def: Record<string, unknown>) =>
  defineRegistry({ app: 'test', version: '2026.11.1', metrics: { 'a.b': { ...base, ...def } as MetricDefinition } });

describe('secret-shared metrics in the registry', () => {
  it('refuses what a Prio3 proof cannot bound, naming why', () => {
    expect(() => registryWith({ type: 'site' })).toThrow(/a site cannot be secret-shared/);
    expect(() => registryWith({ type: 'counter', max: 1000 })).toThrow(/max = 2\^k - 1/);
    expect(() => registryWith({ type: 'labeled_counter', labels: ['x', 'y'], max: 7, maxTotal: 10 })).toThrow(
      /maxTotal = max x labels \(14\)/,
    );
    expect(() => registryWith({ type: 'boolean', ldp: { epsilon: 1 } })).toThrow(/prio3 and ldp do not combine/);
    expect(() => registryWith({ type: 'enumeration', values: ['x', 'y'], release: { by: ['os'] } })).toThrow(
      /released by "value" only/,
    );
  });

  it('maps each type to its circuit', () => {
    const kind = (def: Record<string, unknown>) =>
      prio3Kind(Object.values(registryWith(def).metrics)[0] as MetricDefinition);
    expect(kind({ type: 'counter', max: 1 })).toEqual({ type: 'count' });
    expect(kind({ type: 'counter', max: 255 })).toEqual({ type: 'sum', bits: 8 });
    expect(kind({ type: 'labeled_counter', labels: ['x', 'y'], max: 7, maxTotal: 14 })).toEqual({
      type: 'sumvec',
      length: 2,
      bits: 3,
    });
    expect(kind({ type: 'boolean' })).toEqual({ type: 'histogram', length: 2 });
    expect(kind({ type: 'enumeration', values: ['x', 'y', 'z'] })).toEqual({ type: 'histogram', length: 3 });
    expect(kind({ type: 'timing_distribution' })).toEqual({ type: 'histogram', length: RELEASE_BUCKET_COUNT });
  });

  it('a distribution sends one release bucket, drawn in proportion to its samples', () => {
    const def = { ...base, type: 'timing_distribution' } as MetricDefinition;
    // Fine buckets 8 (3 samples) and 40 (1 sample); release buckets are 4 fine ones wide.
    const value = { sum: 0, count: 4, buckets: { 8: 3, 40: 1 } };
    const picks = [0, 0.3, 0.6, 0.74, 0.76, 0.99].map((r) => prio3Measurement(def, value, () => r));
    expect(picks).toEqual([2, 2, 2, 2, 10, 10]);
  });
});
