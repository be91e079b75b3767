import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { SAMPLE_DAY, sampleReport, seededRandom } from '../../testing/reports.js';
import { flattenReport } from '../rows.js';
import type { SampleRow } from '../types.js';
import { migrate } from './migrations.js';
import { DuckDbStore } from './store.js';

describe('DuckDB store', () => {
  it('rolls rows up, survives a restart and aggregates per cell', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'candor-duck-')), 'c.duckdb');
    const random = seededRandom(7);
    const reports = Array.from({ length: 30 }, () => sampleReport(random));
    let store = await DuckDbStore.open(path);
    await Promise.all(reports.map((r) => store.append(flattenReport(r, candorBrowserRegistry))));
    const stored = Number((await store.connection.runAndReadAll('SELECT count(*) FROM samples')).getRowsJS()[0]?.[0]);
    const flattened = reports.reduce((n, r) => n + flattenReport(r, candorBrowserRegistry).length, 0);
    expect(stored).toBeLessThan(flattened);
    await store.close();

    store = await DuckDbStore.open(path);
    expect(await migrate(store.connection)).toBe(4);
    const request = { app: 'candor-browser', from: SAMPLE_DAY, to: SAMPLE_DAY };
    const counts = await store.aggregate({ ...request, metric: 'page_load.count', type: 'counter', by: 'day' });
    expect(counts).toEqual([
      {
        key: SAMPLE_DAY,
        reports: 30,
        value: reports.reduce((s, r) => s + (r.metrics['page_load.count'] as number), 0),
        count: 30,
      },
    ]);

    const times = await store.aggregate({
      ...request,
      metric: 'page_load.time',
      type: 'timing_distribution',
      by: 'os',
    });
    const totalSamples = reports.reduce((s, r) => s + (r.metrics['page_load.time'] as { count: number }).count, 0);
    expect(times.reduce((s, c) => s + c.count, 0)).toBe(totalSamples);
    expect(times.reduce((s, c) => s + [...(c.buckets?.values() ?? [])].reduce((a, b) => a + b, 0), 0)).toBe(
      totalSamples,
    );

    // A labeled counter grouped by day counts each report once, however many labels it had.
    const engines = await store.aggregate({
      ...request,
      metric: 'search.engine_use',
      type: 'labeled_counter',
      by: 'day',
    });
    expect(engines[0]?.reports).toBeLessThanOrEqual(30);
    const byLabel = await store.aggregate({
      ...request,
      metric: 'search.engine_use',
      type: 'labeled_counter',
      by: 'label',
    });
    expect(byLabel.reduce((s, c) => s + c.reports, 0)).toBe(30);

    // Compaction re-groups rows without changing any answer.
    await store.compact();
    expect(await store.aggregate({ ...request, metric: 'page_load.count', type: 'counter', by: 'day' })).toEqual(
      counts,
    );
    expect(
      await store.aggregate({ ...request, metric: 'search.engine_use', type: 'labeled_counter', by: 'label' }),
    ).toEqual(byLabel);

    const none = await store.aggregate({
      ...request,
      from: '2000-01-01',
      to: '2000-01-31',
      metric: 'page_load.count',
      type: 'counter',
      by: 'day',
    });
    expect(none).toEqual([]);
    await store.close();
  });

  it('a write that fails leaves nothing behind and does not affect the appends beside it or after it', async () => {
    const store = await DuckDbStore.open(':memory:');
    const honest = (n: number) => flattenReport(sampleReport(seededRandom(n)), candorBrowserRegistry);
    // Rows no check would let through: their counts overflow BIGINT once the per-day rollup sums them.
    const base = honest(1).find((r) => r.metric === 'page_load.count') as SampleRow;
    const poison: SampleRow[] = [
      { ...base, appVersion: '1.0', count: 2 ** 62 },
      { ...base, appVersion: '1.1', count: 2 ** 62 },
    ];
    const results = await Promise.allSettled([
      store.append(honest(2), [{ key: 'a'.repeat(32), day: SAMPLE_DAY }]),
      store.append(poison, [{ key: 'b'.repeat(32), day: SAMPLE_DAY }]),
      store.append(honest(3), [{ key: 'c'.repeat(32), day: SAMPLE_DAY }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await store.append(honest(4), [{ key: 'd'.repeat(32), day: SAMPLE_DAY }]);
    const count = async (sql: string) => Number((await store.connection.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    expect(await count('SELECT count(*) FROM staging')).toBe(0);
    expect(await count('SELECT count(*) FROM staging_ids')).toBe(0);
    const request = {
      app: 'candor-browser',
      from: SAMPLE_DAY,
      to: SAMPLE_DAY,
      type: 'counter' as const,
      by: 'day' as const,
    };
    expect((await store.aggregate({ ...request, metric: 'page_load.count' }))[0]?.reports).toBe(3);
    // The dedupe keys of exactly the stored appends were kept with them.
    expect((await store.dedupeKeys(SAMPLE_DAY)).map((k) => k.key).sort()).toEqual(
      ['a', 'c', 'd'].map((c) => c.repeat(32)),
    );
    await store.close();
  });
});
