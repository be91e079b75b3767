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

const DIMENSIONS = ['day', 'app', 'metric', 'by', 'cell', 'detail'] as const;

/** The plain way: one map keyed by all seven dimensions as JSON, then sorted dimension by dimension as text. */
function reference(batches: SampleRow[][]) {
  const groups = new Map<string, SampleRow & { reports: number }>();
  for (const r of batches.flat()) {
    const id = JSON.stringify([r.day, r.app, r.metric, r.by, r.cell, r.detail, r.bucket]);
    const group = groups.get(id) ?? { ...r, reports: 0, value: 0 };
    group.reports += r.bucket < 0 ? 1 : 0;
    group.value += r.value;
    groups.set(id, group);
  }
  const text = (g: SampleRow) => [...DIMENSIONS.map((d) => g[d]), String(g.bucket)];
  return [...groups.values()].sort((a, b) => {
    const [x, y] = [text(a), text(b)];
    const i = x.findIndex((v, k) => v !== y[k]);
    return i < 0 ? 0 : (x[i] as string) < (y[i] as string) ? -1 : 1;
  });
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

  it('adds another rollup as its rows, and writes the same rows as a table, strings numbered in row order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(row, { maxLength: 30 }), { maxLength: 10 }), (batches) => {
        const whole = new Rollup();
        const halves = [new Rollup(), new Rollup()];
        batches.forEach((rows, i) => {
          whole.add(rows);
          halves[i % 2]?.add(rows);
        });
        const [first, second] = halves as [Rollup, Rollup];
        first.addRollup(second);
        expect(first.sorted()).toEqual(whole.sorted());

        const { strings, rows } = whole.table();
        const fromTable = [];
        for (let i = 0; i < rows.length; i += 9) {
          const [day, app, metric, by, cell, detail] = rows.slice(i, i + 6).map((n) => strings[n]);
          const [bucket, reports, value] = rows.slice(i + 6, i + 9);
          fromTable.push({ day, app, metric, by, cell, detail, bucket, reports, value });
        }
        expect(fromTable).toEqual(whole.sorted());
        const firstUse = [...new Set(rows.filter((_, i) => i % 9 < 6))];
        expect(firstUse).toEqual(strings.map((_, n) => n));
      }),
      { numRuns: 300 },
    );
  });
});
