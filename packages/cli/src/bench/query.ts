// `candor bench query`: simulated reports in the embedded DuckDB store, released day by day, then the dashboard's queries
// through the real query layer (stored releases, percentiles, LDP de-biasing), timed at p95.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type Dimension } from '@candor/protocol';
import { DAILY_ACTIVITY_METRIC, DuckDbStore, QueryService, Releaser } from '@candor/server';
import { loadSimulatedReports } from './simulated-store.js';

const TOTAL_REPORTS = 300_000;
const DAYS = 30;
const END_DAY = '2026-11-20';
const ROUNDS = 5;

/** What the dashboard asks, view by view (packages/dashboard/web/views). */
const DASHBOARD_QUERIES: [string, Dimension][] = [
  [DAILY_ACTIVITY_METRIC, 'day'],
  ['page_load.time', 'day'],
  ['page_load.count', 'day'],
  ['crash.app', 'day'],
  ['search.engine_use', 'label'],
  ['page_load.time_by_site', 'site'],
  ['page_load.time', 'appVersion'],
  ['crash.app', 'signature'],
  ['crash.app', 'appVersion'],
  ['page_load.count', 'appVersion'],
  ['memory.js_heap', 'day'],
  ['memory.js_heap', 'modelFamily'],
  ['memory.low_memory_warnings', 'day'],
  ['system.memory_class', 'value'],
  ['search.method', 'label'],
  ['settings.default_search_engine', 'value'],
  ['settings.dark_mode', 'value'],
  ['settings.ad_blocking', 'value'],
  ['settings.text_size', 'value'],
  ['ui.feature_used', 'label'],
  ['ui.menu_action', 'value'],
  ['ui.open_tabs', 'day'],
  ['media.tracks_played', 'day'],
  ['media.source', 'label'],
  ['media.listening_time', 'day'],
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export async function benchQuery(_flags: string[]): Promise<void> {
  console.log('machine note: 2 shared cores; absolute figures are noisy.');
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-query-'));
  try {
    const store = await DuckDbStore.open(join(dir, 'bench.duckdb'));
    let t = performance.now();
    await loadSimulatedReports(store, { reports: TOTAL_REPORTS, days: DAYS, endDay: END_DAY });
    const [rows, reports] = (
      await store.connection.runAndReadAll(
        `SELECT count(*), sum(reports) FILTER (WHERE metric = '${DAILY_ACTIVITY_METRIC}' AND dim = 'day') FROM day_rows`,
      )
    ).getRowsJS()[0] as [bigint, bigint];
    console.log(
      `loaded ${Number(reports).toLocaleString('en-US')} simulated reports over ${DAYS} days as ${Number(rows).toLocaleString('en-US')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    t = performance.now();
    // The days close three days after END_DAY; every query then reads their stored releases.
    const releaser = new Releaser({
      registry: candorBrowserRegistry,
      store,
      now: () => new Date(Date.parse(`${END_DAY}T12:00:00Z`) + 3 * 86_400_000),
    });
    await releaser.catchUp();
    console.log(`released ${DAYS} days in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const from = new Date(Date.parse(`${END_DAY}T00:00:00Z`) - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const service = new QueryService({ registry: candorBrowserRegistry, store, releaser });
    const timings = new Map<string, number[]>();
    const all: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [metric, by] of DASHBOARD_QUERIES) {
        t = performance.now();
        const answer = await service.query({ metric, by, from, to: END_DAY });
        const ms = performance.now() - t;
        if (!answer.ok) throw new Error(`${metric} by ${by}: ${answer.problem.detail ?? answer.problem.title}`);
        if (round === 0) continue; // warm-up round
        all.push(ms);
        const list = timings.get(`${metric} by ${by}`) ?? [];
        list.push(ms);
        timings.set(`${metric} by ${by}`, list);
      }
    }
    const slowest = [...timings]
      .map(
        ([name, list]) =>
          [
            name,
            percentile(
              list.sort((a, b) => a - b),
              95,
            ),
          ] as const,
      )
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `\n${DASHBOARD_QUERIES.length} dashboard queries x ${ROUNDS} rounds over ${DAYS} days, through the query layer:`,
    );
    for (const [name, ms] of slowest.slice(0, 5)) console.log(`  p95 ${ms.toFixed(1).padStart(7)} ms  ${name}`);
    all.sort((a, b) => a - b);
    console.log(
      `  all queries: p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms (target <= 300 ms)`,
    );
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
