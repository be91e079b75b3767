import type { Dimension } from '@candor/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SampleRow } from '../types.js';
import { Rollup } from './rollup.js';

const row = fc.record({
  day: fc.constantFrom('2026-11-29', '2026-11-30'),
  app: fc.constantFrom('a', 'b'),
  metric: fc.constantFrom('m1', 'm2'),
  by: fc.constantFrom<Dimension>('day', 'os', 'label'),
  cell: fc.constantFrom('', 'x', 'y', 'x\u0000y'),
  detail: fc.constantFrom('', 'y', 'TypeError'),
  bucket: fc.integer({ min: -1, max: 3 }),
  value: fc.integer({ min: 0, max: 100 }),
});

/** The plain way: one map keyed by all seven dimensions, then sorted by that key. */
function reference(batches: SampleRow[][]) {
  const groups = new Map<string, SampleRow & { reports: number }>();
  for (const r of batches.flat()) {
    const id = `${r.day}\u0000${r.app}\u0000${r.metric}\u0000${r.by}\u0000${r.cell}\u0000${r.detail}\u0000${r.bucket}`;
    const group = groups.get(id) ?? { ...r, reports: 0, value: 0 };
    group.reports += r.bucket < 0 ? 1 : 0;
    group.value += r.value;
    groups.set(id, group);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

describe('rollup', () => {
  it('sums rows of equal dimensions, keeps others apart, in the order of their dimensions', () => {
    fc.assert(
      fc.property(fc.array(fc.array(row, { maxLength: 30 }), { maxLength: 10 }), (batches) => {
        const rollup = new Rollup();
        for (const rows of batches) rollup.add(rows);
        const expected = reference(batches);
        expect(rollup.sorted()).toEqual(expected);
        expect(rollup.size).toBe(expected.length);
      }),
      { numRuns: 500 },
    );
  });
});
