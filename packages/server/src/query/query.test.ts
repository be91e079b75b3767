import { type Report, randomizeResponse } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../store/duckdb/store.js';
import { NO_NOISE_FOR_PLUMBING_TESTS, releaseRig, seededNoise } from '../testing/release.js';
import { sampleReport, seededRandom } from '../testing/reports.js';

const stores: DuckDbStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const D = '2026-11-20';
const closed = new Date('2026-11-24T00:00:00Z');

async function rig(reports: Report[], noise = NO_NOISE_FOR_PLUMBING_TESTS) {
  const store = await DuckDbStore.open(':memory:');
  stores.push(store);
  const r = releaseRig(store, noise, closed);
  await r.send(reports);
  return r;
}

function fleet(count: number, seed: number): Report[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => sampleReport(random, { day: D }));
}

describe('queries over released days (plumbing: no noise)', () => {
  it('serves exact sums, device-day counts and percentiles when the release adds no noise', async () => {
    const reports = fleet(300, 1);
    const r = await rig(reports);
    const loads = await r.queries.query({ metric: 'page_load.count', from: D, to: D });
    if (!loads.ok) throw new Error(loads.problem.title);
    const truth = reports.reduce((s, x) => s + (x.metrics['page_load.count'] as number), 0);
    expect(loads.result.cells).toMatchObject([{ key: D, reports: 300, sum: truth }]);
    expect(loads.result.totalReports).toBe(300);
    expect(loads.result.privacy).toMatchObject({ epsilon: 8, delta: 1e-6, confidence: 0.95 });

    const times = await r.queries.query({ metric: 'page_load.time', by: 'day', from: D, to: D });
    if (!times.ok) throw new Error(times.problem.title);
    const cell = times.result.cells[0];
    expect(cell?.p50).toBeGreaterThan(200);
    expect(cell?.p99).toBeGreaterThanOrEqual(cell?.p50 ?? Infinity);

    // A labeled counter's day total is the sum of its released labels; its device-days do not add up.
    const engines = await r.queries.query({ metric: 'search.engine_use', by: 'day', from: D, to: D });
    if (!engines.ok) throw new Error(engines.problem.title);
    const searches = reports.reduce(
      (s, x) => s + Object.values(x.metrics['search.engine_use'] as Record<string, number>).reduce((a, b) => a + b, 0),
      0,
    );
    expect(engines.result.cells).toEqual([expect.objectContaining({ key: D, sum: searches })]);
    expect(engines.result.totalReports).toBeNull();

    // By label, each cell counts the device-days that had that label (the dashboard's "device-days" column).
    const byLabel = await r.queries.query({ metric: 'search.engine_use', by: 'label', from: D, to: D });
    if (!byLabel.ok) throw new Error(byLabel.problem.title);
    for (const cell of byLabel.result.cells) {
      const had = reports.filter(
        (x) => ((x.metrics['search.engine_use'] as Record<string, number> | undefined)?.[cell.key] ?? 0) > 0,
      ).length;
      expect(cell.reports, cell.key).toBe(had);
    }
    expect(byLabel.result.totalReports).toBeNull();
  });

  it('names what is wrong with a query', async () => {
    const r = await rig(fleet(5, 2));
    const unknown = await r.queries.query({ metric: 'nope.nope' });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.problem.field).toBe('metric');
    const notReleased = await r.queries.query({ metric: 'ui.open_tabs', by: 'modelFamily' });
    expect(notReleased.ok).toBe(false);
    if (!notReleased.ok) expect(notReleased.problem.detail).toMatch(/released by day only/);
    const badDay = await r.queries.query({ metric: 'ui.open_tabs', from: '2026-13-01' });
    expect(badDay.ok).toBe(false);
  });

  it('de-biases local-DP shares and gives them an interval', async () => {
    const random = seededRandom(3);
    const reports = fleet(400, 3).map((report) => ({
      ...report,
      metrics: { 'settings.dark_mode': randomizeResponse(random() < 0.3, [true, false], 1, random) },
    }));
    const r = await rig(reports, seededNoise(3));
    const answer = await r.queries.query({ metric: 'settings.dark_mode', by: 'value', from: D, to: D });
    if (!answer.ok) throw new Error(answer.problem.title);
    const yes = answer.result.cells.find((c) => c.key === 'true');
    expect(answer.result.localDp).toBe(true);
    expect(yes?.shareInterval?.[0]).toBeLessThan(0.3);
    expect(yes?.shareInterval?.[1]).toBeGreaterThan(0.3);
  });
});
