import { candorBrowserRegistry, randomizeResponse } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../store/duckdb/store.js';
import { flattenReport } from '../store/rows.js';
import { SAMPLE_DAY, sampleReport, seededRandom } from '../testing/reports.js';
import { BudgetLedger } from './ledger.js';
import { QueryService, SUPPRESSED_KEY } from './service.js';

const stores: DuckDbStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function storeWith(reports: ReturnType<typeof sampleReport>[]): Promise<DuckDbStore> {
  const store = await DuckDbStore.open(':memory:');
  stores.push(store);
  await store.append(reports.flatMap((r) => flattenReport(r, candorBrowserRegistry)));
  return store;
}

const range = { from: SAMPLE_DAY, to: SAMPLE_DAY };

function fleet(count: number, family: string, seed: number, os: 'android' | 'ios' = 'android') {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    sampleReport(random, { system: { modelFamily: family, os, osMajor: 14, language: 'en' } }),
  );
}

describe('k-threshold', () => {
  it('releases cells from at least k reports and suppresses smaller ones, never as zero', async () => {
    const store = await storeWith([
      ...fleet(25, 'pixel', 1),
      ...fleet(3, 'mi 10 ultra', 2),
      ...fleet(4, 'iphone', 3, 'ios'),
    ]);
    const service = new QueryService({ registry: candorBrowserRegistry, store, k: 20 });

    const byFamily = await service.query({ metric: 'page_load.count', by: 'modelFamily', ...range });
    if (!byFamily.ok) throw new Error(byFamily.problem.title);
    expect(byFamily.result.cells.map((c) => c.key)).toEqual(['pixel', SUPPRESSED_KEY]);
    // A rare model family is not even named, and its cell has no values at all.
    expect(JSON.stringify(byFamily.result)).not.toContain('mi 10 ultra');
    expect(byFamily.result.cells[1]).toEqual({ key: SUPPRESSED_KEY, suppressed: true });
    expect(byFamily.result.cells[0]).toMatchObject({ reports: 25, suppressed: false });

    const byOs = await service.query({ metric: 'page_load.count', by: 'os', ...range });
    if (!byOs.ok) throw new Error(byOs.problem.title);
    expect(byOs.result.cells).toEqual([
      { key: 'android', suppressed: false, reports: 28, sum: expect.any(Number) },
      { key: 'ios', suppressed: true },
    ]);
    expect(service.stats.suppressedCells).toBe(3);

    // Percentiles of a distribution come from merged buckets.
    const times = await service.query({ metric: 'page_load.time', by: 'day', ...range });
    if (!times.ok) throw new Error(times.problem.title);
    const cell = times.result.cells[0];
    expect(cell?.p50).toBeGreaterThan(200);
    expect(cell?.p99).toBeGreaterThanOrEqual(cell?.p50 ?? Infinity);
    expect(times.result.unit).toBe('ms');
  });

  it('withholds the total when it is itself under k', async () => {
    const store = await storeWith(fleet(5, 'pixel', 4));
    const service = new QueryService({ registry: candorBrowserRegistry, store, k: 20 });
    const answer = await service.query({ metric: 'page_load.count', ...range });
    if (!answer.ok) throw new Error(answer.problem.title);
    expect(answer.result.totalReports).toBeNull();
    expect(answer.result.cells).toEqual([{ key: SAMPLE_DAY, suppressed: true }]);
  });
});

describe('central differential privacy', () => {
  it('adds noise, charges the per-metric daily budget, caches answers and refuses once spent', async () => {
    const store = await storeWith(fleet(200, 'pixel', 5));
    const ledger = new BudgetLedger(2);
    const service = new QueryService({ registry: candorBrowserRegistry, store, k: 20, dp: { epsilon: 1, ledger } });
    const exact = await new QueryService({ registry: candorBrowserRegistry, store, k: 20 }).query({
      metric: 'page_load.count',
      ...range,
    });
    const first = await service.query({ metric: 'page_load.count', ...range });
    if (!first.ok || !exact.ok) throw new Error('query failed');
    expect(first.result.dp).toEqual({ epsilon: 1, spentToday: 1, budgetPerDay: 2 });
    const noisy = first.result.cells[0];
    const truth = exact.result.cells[0];
    expect(noisy?.sum).not.toBe(truth?.sum);
    expect(Math.abs((noisy?.reports ?? 0) - 200)).toBeLessThan(40);

    // Asking again returns the same answer without spending: averaging repeated answers gains nothing.
    const again = await service.query({ metric: 'page_load.count', ...range });
    expect(again.ok && again.result).toEqual(first.result);
    expect(ledger.spentToday('page_load.count')).toBe(1);

    expect((await service.query({ metric: 'page_load.count', by: 'os', ...range })).ok).toBe(true);
    const refused = await service.query({ metric: 'page_load.count', by: 'language', ...range });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.problem.status).toBe(429);
      expect(refused.problem.metric).toBe('page_load.count');
      expect(refused.retryAfter).toBeGreaterThan(0);
    }
    // Another metric has its own budget.
    expect((await service.query({ metric: 'ui.open_tabs', ...range })).ok).toBe(true);
  });

  it('keeps the ledger across a restart', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(await mkdtemp(join(tmpdir(), 'candor-ledger-')), 'dp-ledger.json');
    const ledger = new BudgetLedger(1, path);
    expect(await ledger.trySpend('page_load.count', 1)).toBe(true);
    const reloaded = new BudgetLedger(1, path);
    await reloaded.load();
    expect(await reloaded.trySpend('page_load.count', 0.5)).toBe(false);
  });
});

describe('local differential privacy', () => {
  it('de-biases randomized booleans back to the true share', async () => {
    const random = seededRandom(9);
    const epsilon = candorBrowserRegistry.metrics['settings.dark_mode'].ldp?.epsilon ?? 1;
    const reports = Array.from({ length: 4000 }, (_, i) =>
      sampleReport(random, {
        metrics: { 'settings.dark_mode': randomizeResponse(i % 10 < 3, [true, false], epsilon, random) },
      }),
    );
    const store = await storeWith(reports);
    const service = new QueryService({ registry: candorBrowserRegistry, store, k: 20 });
    const answer = await service.query({ metric: 'settings.dark_mode', by: 'value', ...range });
    if (!answer.ok) throw new Error(answer.problem.title);
    expect(answer.result.localDp).toBe(true);
    const on = answer.result.cells.find((c) => c.key === 'true');
    const rawShare = (on?.reports ?? 0) / 4000;
    // The raw share of "true" is pulled toward 0.5 by the randomization; the estimate is back near 0.3.
    expect(rawShare).toBeGreaterThan(0.38);
    expect(on?.share).toBeGreaterThan(0.25);
    expect(on?.share).toBeLessThan(0.35);
    expect(on?.standardError).toBeGreaterThan(0);
  });
});
