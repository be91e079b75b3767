import { candorBrowserRegistry, type Registry, type Report } from '@candor/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distribution, sampleReport, seededRandom } from '../testing/reports.js';
import { Rollup } from './duckdb/rollup.js';
import { RowPacker, unpackRows } from './packed.js';
import { flattenReport } from './rows.js';

/** What the store would write for these reports flattened one by one, the way before any summing. */
function oneByOne(reports: Report[]) {
  const rollup = new Rollup();
  for (const report of reports) rollup.add(flattenReport(report, candorBrowserRegistry));
  return rollup.sorted();
}

/** The reports packed as an inspection thread packs them, summed as the store sums them, and as rows again. */
function packed(reports: Report[]) {
  const packer = new RowPacker();
  for (const report of reports) packer.add(report, candorBrowserRegistry);
  const rows = packer.done();
  const rollup = new Rollup();
  rollup.addPacked(rows);
  const again = new Rollup();
  again.add(unpackRows(rows));
  expect(again.sorted()).toEqual(rollup.sorted());
  return rollup.sorted();
}

describe('packed rows', () => {
  it('sum to exactly what the reports flattened one by one sum to', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('2026-11-29', '2026-11-30'),
        (seed, count, otherDay) => {
          const random = seededRandom(seed);
          const reports = Array.from({ length: count }, (_, i) =>
            sampleReport(random, i % 3 === 0 ? { day: otherDay } : {}),
          );
          expect(packed(reports)).toEqual(oneByOne(reports));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keep cells apart when there are too many strings to key a cell by one number', () => {
    const random = seededRandom(7);
    // 600 reports of 5 sites each never seen before: over 2,500 strings, so most cells are past the range `rowKey`
    // packs into one number, and their rows are keyed by text (as crash rows, with their type, always are).
    const reports = Array.from({ length: 600 }, (_, i) => {
      const report = sampleReport(random);
      report.metrics['page_load.time_by_site'] = Object.fromEntries(
        Array.from({ length: 5 }, (_, k) => [`site-${i}-${k}.example`, distribution([300 + k])]),
      );
      if (i >= 500)
        report.metrics['crash.app'] = [{ type: `Late${i % 7}`, signature: `${i % 3}123456789abcdef`, count: 1 }];
      else delete report.metrics['crash.app'];
      return report;
    });
    const rows = packed(reports);
    expect(rows).toEqual(oneByOne(reports));
    const crashes = rows.filter((r) => r.metric === 'crash.app' && r.bucket < 0 && r.by !== 'day');
    expect(crashes.reduce((s, r) => s + r.reports, 0)).toBeGreaterThan(0);
  });

  it('keep runs apart when an upload holds reports of two registries', () => {
    // Without page_load.count every later metric's runs are numbered differently (rows.ts RunSlots).
    const { 'page_load.count': _dropped, ...metrics } = candorBrowserRegistry.metrics;
    const other: Registry = { ...candorBrowserRegistry, version: '2026.11.99', metrics };
    const random = seededRandom(11);
    const reports = Array.from({ length: 12 }, () => sampleReport(random));
    const registryOf = (i: number) => (i % 3 === 1 ? other : candorBrowserRegistry);
    const packer = new RowPacker();
    for (const [i, report] of reports.entries()) packer.add(report, registryOf(i));
    const summed = new Rollup();
    summed.addPacked(packer.done());
    const expected = new Rollup();
    for (const [i, report] of reports.entries()) expected.add(flattenReport(report, registryOf(i)));
    expect(summed.sorted()).toEqual(expected.sorted());
  });
});
