import type { Report } from '@candor/protocol';
import type { ClickHouseStore } from '../store/clickhouse/store.js';
import { distribution, sampleReport } from './reports.js';

/**
 * Reports that can be recognised after storage without any id: report n is a plausible report whose only site
 * is `n<n>-example.com`. Stored rows are rolled up by their dimensions, and a site is a dimension, so each
 * number's row says how many times that report was stored. The fault tests check it is exactly once.
 */
export function numberedReport(n: number, random: () => number): Report {
  const report = sampleReport(random);
  return { ...report, metrics: { ...report.metrics, 'page_load.time_by_site': { [siteOf(n)]: distribution([480]) } } };
}

const SITE_METRIC = 'page_load.time_by_site';
const siteOf = (n: number) => `n${n}-example.com`;

/** The number a numbered report carries in its only site. */
export function reportNumber(report: Report): number {
  const site = Object.keys((report.metrics[SITE_METRIC] as object | undefined) ?? {})[0] ?? '';
  const match = /^n(\d+)-example\.com$/.exec(site);
  if (!match) throw new Error(`not a numbered report: site "${site}"`);
  return Number(match[1]);
}

/** Numbered reports stored so far (each counted as often as it was stored). */
export function countNumbered(store: ClickHouseStore): Promise<number> {
  return store.countReports('candor-browser', SITE_METRIC);
}

/** The stored report numbers, sorted, each repeated as often as it was stored. */
export async function storedNumbers(store: ClickHouseStore): Promise<number[]> {
  const result = await store.client.query({
    query: `SELECT key, sum(reports) AS n FROM ${store.database}.${store.queryTable}
      WHERE app = 'candor-browser' AND metric = '${SITE_METRIC}' AND bucket = -1 GROUP BY key`,
    format: 'JSONEachRow',
  });
  const numbers: number[] = [];
  for (const { key, n } of await result.json<{ key: string; n: string }>()) {
    const match = /^n(\d+)-example\.com$/.exec(key);
    if (!match) throw new Error(`unexpected site "${key}" stored`);
    for (let i = 0; i < Number(n); i++) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}
